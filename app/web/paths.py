"""Where the API lives: every module that treats API routes differently asks here."""

API_PREFIX = "/api/"
API_V1 = "/api/v1"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)
