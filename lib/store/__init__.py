"""The one door to the store: connections (db), models, schema migrations, SQL helpers, bootstrap, pseudonyms."""
