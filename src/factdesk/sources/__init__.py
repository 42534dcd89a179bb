"""Evidence from outside the local index: web search (SearxNG, Brave), Kiwix ZIM files (issue 16)."""
