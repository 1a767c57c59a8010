"""Knowledge base: topics, articles, their translations, search and evaluation."""
