"""Real data in (issue #12): monthly report files and event exports, validated whole, written all or nothing."""
