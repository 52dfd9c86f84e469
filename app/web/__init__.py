"""The HTTP edge: problem+json, request ids, body rules, headers, rate limits and the auth guard."""
