"""factdesk watch: poll RSS/Atom feeds, check each new article once, alert on repeated or contradicted fact-checks."""
