"""What the maps draw: member units and the county's shapes (points), referral flows and leakage (flows),
disease groups (disease)."""
