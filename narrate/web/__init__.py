"""The web: fetching article pages and feeds politely, and naming what comes from a URL."""
