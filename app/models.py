"""Every model, imported in one place so migrations and metadata see the whole schema."""

from app.auth.models import AuthSession
from app.users.models import User

__all__ = ["AuthSession", "User"]
