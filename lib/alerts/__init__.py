"""Early warning (issue #17): syndromic signals from daily visit counts, and messages to WeCom/DingTalk groups."""
