"""Content for editors: topics, articles, versions, translations, YAML, search preview."""
