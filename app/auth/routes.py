"""Authentication endpoints: HTTP only; every rule lives in the services."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, after_this_request, request, url_for
from flask.views import MethodView
from flask_jwt_extended import get_jwt, set_refresh_cookies, unset_jwt_cookies

from app.auth.mfa_service import Enrolment, MfaStatus
from app.auth.schemas import (
    AccessTokenSchema,
    LoginSchema,
    MfaCodeSchema,
    MfaEnrolmentSchema,
    MfaPasswordAndCodeSchema,
    MfaPasswordSchema,
    MfaRequiredProblemSchema,
    MfaStatusSchema,
    MfaVerifySchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    ReauthenticateSchema,
    RecoveryCodesSchema,
    RegisterSchema,
    SessionListSchema,
    TokenPairSchema,
    VerifyEmailSchema,
)
from app.auth.service import AccessToken, TokenPair
from app.auth.tokens import refresh_claims
from app.composition import container
from app.domain.clients import Client
from app.users.models import User
from app.users.schemas import UserSchema
from app.users.service import NewUser
from app.web.api import header_doc
from app.web.auth_guard import (
    API_KEY_INVALID,
    API_KEY_REFUSED,
    BEARER_SECURITY,
    access_token_required,
    current_principal,
    refresh_token_required,
)
from app.web.blueprint import Blueprint
from app.web.idempotency import KEY_PARAMETER, REPLAYED, REPLAYED_HEADER, idempotent
from app.web.paths import API_V1
from app.web.problems import PROBLEM_CONTENT_TYPE
from app.web.rate_limits import rate_limit

AUTH_PATH = f"{API_V1}/auth"

# Request examples: what Swagger UI's "Try it out" starts from; each one is accepted as it stands.
_ACCOUNT = {"email": "ada@example.com", "password": "plum-orbit-lantern-42"}
# Shaped like the tokens Keel mails and issues (the document's patterns), though none is a live one.
_RESET_EXAMPLE = "Wf3vJx0Qk8T2mZ5rNc7yHb1uLs4pGd9aEo6iXq2wVtM"
_VERIFY_EXAMPLE = (
    ".eJwNyskRhEAIAMBceO9UgchlNiAzEehry9y13_2HGw5Ayo1z0dAKGcaso0ps6MLONUvbdvhBfnWKl-3hPRFTOk5C3sg6XULF7WsXHGShyh7mzwvahxie"
    ".DDFJzZiAwGg5NCKL2nX_5R1-9Po"
)
_MFA_EXAMPLE = "Lq8Zr2Xn5Vb0Tc7Mw4Ky1Hs9Jd3Gf6Pa8Ue2Io5Yt0R"

blp = Blueprint("auth", __name__, url_prefix=AUTH_PATH, description="Registration, login and sessions")


DEVICE_COOKIE = "keel_device"
DEVICE_HEADER = "X-Device-Token"
# The header is an operation parameter. The cookie is not: browsers send it by themselves, and a
# cookie parameter makes generated clients pass per-request cookies (deprecated in httpx); it is
# documented as the 200 response's Set-Cookie instead.
_DEVICE_PARAMETERS: list[dict[str, Any]] = [
    {
        "in": "header",
        "name": DEVICE_HEADER,
        "required": False,
        "schema": {"type": "string", "maxLength": 256},
        "description": "The `device_token` of an earlier login to this account, for clients that keep "
        f"no cookies (browsers send the `{DEVICE_COOKIE}` cookie instead): failed logins with a valid "
        "one draw on this device's own budget, not the account's shared one. Another account's, a "
        "forged or an expired token counts as none.",
    },
]
CSRF_HEADER = "X-CSRF-TOKEN"
# The browser flow's pair: the token out of scripts' reach, and the value a script echoes in the header.
_REFRESH_COOKIES = (
    "`refresh_token_cookie` (the refresh token: HttpOnly, Path=/api/v1/auth) and `csrf_refresh_token` "
    f"(its CSRF value: readable by scripts, Path=/, sent back in `{CSRF_HEADER}` to refresh by cookie), "
    "both SameSite=Strict, Secure outside development, Max-Age the seconds until the session's expiry"
)
_DEVICE_COOKIE_HEADER = header_doc(
    f"Sets {_REFRESH_COOKIES}; and `{DEVICE_COOKIE}` (the device token: HttpOnly, SameSite=Strict, "
    "Path=/api/v1/auth, Secure outside development, Max-Age DEVICE_TOKEN_TTL_SECONDS); "
    f"a later login sends `{DEVICE_COOKIE}` back like `{DEVICE_HEADER}`"
)
_REFRESH_COOKIES_HEADER = header_doc(f"Sets the rotated {_REFRESH_COOKIES}")
_CSRF_PARAMETERS: list[dict[str, Any]] = [
    {
        "in": "header",
        "name": CSRF_HEADER,
        "required": False,
        "schema": {"type": "string"},
        "description": "The cookie flow only: the `csrf_refresh_token` cookie's value, required with "
        "`refresh_token_cookie` (missing or different: 401 `csrf_token_invalid`). A refresh token sent "
        "as `Authorization: Bearer` needs none.",
    },
]


def _client() -> Client:
    return Client.of(request.remote_addr, request.headers.get("User-Agent"))


def _presented_device_tokens() -> tuple[str | None, ...]:
    """Both places a client may keep its device token; the service takes the first valid one."""
    return request.headers.get(DEVICE_HEADER), request.cookies.get(DEVICE_COOKIE)


def _with_refresh_cookie(pair: TokenPair) -> TokenPair:
    @after_this_request
    def _set_cookie(response: Response) -> Response:
        set_refresh_cookies(response, pair.refresh_token, max_age=pair.refresh_expires_in)
        if pair.device_token is not None:
            response.set_cookie(
                DEVICE_COOKIE,
                pair.device_token,
                max_age=pair.device_expires_in,
                path=AUTH_PATH,
                secure=container().settings.app_env != "development",
                httponly=True,
                samesite="Strict",
            )
        return response

    return pair


@blp.route("/register")
class Register(MethodView):
    @rate_limit(lambda limits: limits.ratelimit_register)
    @blp.doc(operationId="register", parameters=[KEY_PARAMETER])
    @idempotent(lambda: container().idempotency())
    @blp.arguments(RegisterSchema, example={**_ACCOUNT, "name": "Ada Lovelace"})
    @blp.response(
        201,
        UserSchema,
        headers={"Location": header_doc("URL of the new user"), REPLAYED: REPLAYED_HEADER},
    )
    @blp.alt_response(
        409,
        description="`email_taken`: an account with this email exists; "
        "`idempotency_key_in_use`: a request with this key is still running",
    )
    @blp.alt_response(422, description="Invalid body, weak or common password, or `idempotency_key_reused`")
    def post(self, body: dict[str, Any]) -> tuple[User, int, dict[str, str]]:
        """Create an account."""
        user = container().user_service().register(NewUser(**body))
        return user, 201, {"Location": url_for("users.UserById", user_id=user.id)}


@blp.route("/login")
class Login(MethodView):
    # Per client address here; per account inside the service, before the password check.
    @rate_limit(lambda limits: limits.ratelimit_login_ip, scope="login-ip")
    @blp.doc(operationId="login", parameters=_DEVICE_PARAMETERS)
    @blp.arguments(LoginSchema, example=_ACCOUNT)
    @blp.response(200, TokenPairSchema, headers={"Set-Cookie": _DEVICE_COOKIE_HEADER})
    @blp.alt_response(
        401,
        schema=MfaRequiredProblemSchema,
        content_type=PROBLEM_CONTENT_TYPE,
        description="`invalid_credentials`: wrong email or password; `mfa_required`: right password, and "
        "the account has a second factor: no tokens, but the problem's `mfa_token` (single use, "
        "MFA_TOKEN_TTL_SECONDS) and `mfa_methods` for POST /auth/mfa/verify",
    )
    @blp.alt_response(
        403,
        description="`account_disabled`: right password, disabled account; `email_unverified`: right "
        "password, address not verified (REQUIRE_VERIFIED_EMAIL=true)",
    )
    @blp.alt_response(
        429,
        description="`rate_limited`: too many requests from this address, or too many failed attempts "
        "for this account (from unknown clients) or from this device (with its device token)",
    )
    @blp.alt_response(422, description="Invalid body")
    def post(self, body: dict[str, Any]) -> TokenPair:
        """Exchange credentials for an access and a refresh token, and a device token."""
        pair = (
            container()
            .auth_service()
            .login(**body, client=_client(), device_tokens=_presented_device_tokens())
        )
        return _with_refresh_cookie(pair)


@blp.route("/refresh")
class Refresh(MethodView):
    @rate_limit(lambda limits: limits.ratelimit_refresh)
    @refresh_token_required
    @blp.doc(
        operationId="refreshTokens",
        security=[{"bearerAuth": []}, {"refreshCookie": []}],
        parameters=_CSRF_PARAMETERS,
    )
    @blp.response(200, TokenPairSchema, headers={"Set-Cookie": _REFRESH_COOKIES_HEADER})
    @blp.alt_response(
        401,
        description="Missing, invalid, expired, revoked or reused (`token_reused`) token; "
        f"`csrf_token_invalid`: the refresh cookie came without `{CSRF_HEADER}`, or with another value",
    )
    def post(self) -> TokenPair:
        """Rotate the refresh token: Bearer header, or cookie plus X-CSRF-TOKEN header."""
        return _with_refresh_cookie(container().auth_service().refresh(refresh_claims(get_jwt()), _client()))


@blp.route("/reauthenticate")
class Reauthenticate(MethodView):
    @access_token_required
    @blp.doc(operationId="reauthenticate", security=BEARER_SECURITY)
    @blp.arguments(ReauthenticateSchema, example={"password": _ACCOUNT["password"]})
    @blp.response(200, AccessTokenSchema)
    @blp.alt_response(
        401,
        description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}; "
        "`mfa_required`: the account has a second "
        "factor and no `code` came; `invalid_otp`: the code is wrong or already used",
    )
    @blp.alt_response(
        403,
        description="`invalid_current_password`: the password is wrong (it spends the session's budget); "
        f"{API_KEY_REFUSED}",
    )
    @blp.alt_response(
        429, description="`rate_limited`: this session's password checks are spent, right password or not"
    )
    @blp.alt_response(422, description="Invalid body")
    def post(self, body: dict[str, Any]) -> AccessToken:
        """Confirm your password again: a new access token for this session, with a fresh `auth_time`."""
        return container().auth_service().reauthenticate(current_principal(), **body)


@blp.route("/logout")
class Logout(MethodView):
    @access_token_required
    @blp.doc(operationId="logout", security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    def post(self) -> Response:
        """Revoke the current access token and its refresh session."""
        container().auth_service().logout(current_principal())
        response = Response(status=204)
        unset_jwt_cookies(response)
        return response


@blp.route("/logout-all")
class LogoutAll(MethodView):
    @access_token_required
    @blp.doc(operationId="logoutAll", security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    def post(self) -> Response:
        """End every session of the caller, this one included: all their tokens stop working at once."""
        container().auth_service().logout_all(current_principal())
        response = Response(status=204)
        unset_jwt_cookies(response)
        return response


@blp.route("/sessions")
class Sessions(MethodView):
    @access_token_required
    @blp.doc(operationId="listSessions", security=BEARER_SECURITY)
    @blp.response(200, SessionListSchema)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    def get(self) -> dict[str, Any]:
        """The caller's live sessions, the most recently used first; `current` marks this one."""
        return {"items": container().auth_service().list_sessions(current_principal())}


@blp.route("/sessions/<uuid:session_id>")
class SessionById(MethodView):
    @access_token_required
    @blp.doc(operationId="endSession", security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    @blp.alt_response(404, description="`not_found`: no live session of the caller has this id")
    def delete(self, session_id: uuid.UUID) -> Response:
        """End one of the caller's sessions: its refresh token and access tokens stop working at once."""
        container().auth_service().end_session(current_principal(), session_id)
        return Response(status=204)


@blp.route("/password-reset")
class PasswordReset(MethodView):
    @rate_limit(lambda limits: limits.ratelimit_password_reset, scope="password-reset")
    @blp.doc(operationId="requestPasswordReset", parameters=[KEY_PARAMETER])
    @idempotent(lambda: container().idempotency())
    @blp.arguments(PasswordResetRequestSchema, example={"email": _ACCOUNT["email"]})
    @blp.response(202, headers={REPLAYED: REPLAYED_HEADER})
    @blp.alt_response(409, description="`idempotency_key_in_use`: a request with this key is still running")
    @blp.alt_response(422, description="Invalid body, or `idempotency_key_reused`")
    @blp.alt_response(
        429, description="`rate_limited`: too many requests from this address or for this email"
    )
    def post(self, body: dict[str, Any]) -> Response:
        """Mail a reset link; the same answer whether or not the address has an account."""
        container().password_reset_service().request(body["email"])
        return Response(status=202)


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    # Per client address, every attempt counted: guessing tokens runs out of tries quickly.
    @rate_limit(lambda limits: limits.ratelimit_password_reset_confirm, scope="password-reset-confirm")
    @blp.doc(operationId="confirmPasswordReset")
    @blp.arguments(
        PasswordResetConfirmSchema,
        example={"token": _RESET_EXAMPLE, "new_password": "quartz-meadow-compass-7"},
    )
    @blp.response(204)
    @blp.alt_response(
        400, description="`invalid_token`: the token is wrong, expired, used, or older than the password"
    )
    @blp.alt_response(422, description="Invalid body, weak or common password (the token stays usable)")
    @blp.alt_response(429, description="`rate_limited`: too many attempts from this address")
    def post(self, body: dict[str, Any]) -> Response:
        """Choose a new password with the token from the mail; every session of the account ends."""
        container().password_reset_service().confirm(body["token"], body["new_password"])
        return Response(status=204)


@blp.route("/verify-email")
class VerifyEmail(MethodView):
    @rate_limit(lambda limits: limits.ratelimit_verify_email, scope="verify-email")
    @blp.doc(operationId="verifyEmail")
    @blp.arguments(VerifyEmailSchema, example={"token": _VERIFY_EXAMPLE})
    @blp.response(204)
    @blp.alt_response(
        400, description="`invalid_token`: wrong, expired, or for an address the account no longer has"
    )
    @blp.alt_response(422, description="Invalid body")
    @blp.alt_response(429, description="`rate_limited`: too many attempts from this address")
    def post(self, body: dict[str, Any]) -> Response:
        """Confirm the account's email address with the token from the verification mail."""
        container().user_service().verify_email(body["token"])
        return Response(status=204)


@blp.route("/verify-email/resend")
class ResendVerification(MethodView):
    @rate_limit(lambda limits: limits.ratelimit_verify_email, scope="verify-email-resend")
    @access_token_required
    @blp.doc(operationId="resendVerificationEmail", security=BEARER_SECURITY)
    @blp.response(202)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    @blp.alt_response(429, description="`rate_limited`: too many requests from this address")
    def post(self) -> Response:
        """Mail a new verification link to the caller's address (nothing if it is verified already)."""
        container().user_service().resend_verification(current_principal())
        return Response(status=202)


_PASSWORD = {"password": _ACCOUNT["password"]}
_APP_CODE = "123456"
_MFA_401 = (
    f"Missing, invalid or revoked access token; {API_KEY_INVALID}; "
    "`invalid_otp`: the code is wrong or already used"
)
_MFA_429 = "`rate_limited`: too many failed attempts for this account (passwords or codes)"


@blp.route("/mfa")
class Mfa(MethodView):
    @access_token_required
    @blp.doc(operationId="getMfaStatus", security=BEARER_SECURITY)
    @blp.response(200, MfaStatusSchema)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(403, description=API_KEY_REFUSED)
    def get(self) -> MfaStatus:
        """Whether the caller's second factor is on, and how many recovery codes are left."""
        return container().totp_service().status(current_principal())


@blp.route("/mfa/totp")
class MfaTotp(MethodView):
    @access_token_required
    @blp.doc(operationId="startTotpEnrolment", security=BEARER_SECURITY)
    @blp.arguments(MfaPasswordSchema, example=_PASSWORD)
    @blp.response(201, MfaEnrolmentSchema)
    @blp.alt_response(401, description=f"Missing, invalid or revoked access token; {API_KEY_INVALID}")
    @blp.alt_response(
        403, description=f"`invalid_current_password`: the password is wrong; {API_KEY_REFUSED}"
    )
    @blp.alt_response(
        409,
        description="`mfa_already_enabled`: the second factor is already on; `conflict`: another first "
        "enrolment of the account was stored at the same moment",
    )
    @blp.alt_response(422, description="Invalid body")
    @blp.alt_response(429, description="`rate_limited`: too many wrong passwords from this session")
    def post(self, body: dict[str, Any]) -> tuple[Enrolment, int]:
        """Start a TOTP enrolment: a new secret for the authenticator app, on once a code confirms it."""
        return container().totp_service().enrol(current_principal(), body["password"]), 201


@blp.route("/mfa/totp/confirm")
class MfaTotpConfirm(MethodView):
    @access_token_required
    @blp.doc(operationId="confirmTotpEnrolment", security=BEARER_SECURITY)
    @blp.arguments(MfaCodeSchema, example={"code": _APP_CODE})
    @blp.response(200, RecoveryCodesSchema)
    @blp.alt_response(401, description=_MFA_401)
    @blp.alt_response(403, description=API_KEY_REFUSED)
    @blp.alt_response(409, description="`mfa_not_pending`: no enrolment is waiting for its first code")
    @blp.alt_response(422, description="Invalid body")
    @blp.alt_response(429, description=_MFA_429)
    def post(self, body: dict[str, Any]) -> dict[str, list[str]]:
        """Turn the second factor on with a first code; the ten recovery codes are shown this once."""
        codes = container().totp_service().confirm_enrolment(current_principal(), body["code"])
        return {"recovery_codes": codes}


@blp.route("/mfa/totp/disable")
class MfaTotpDisable(MethodView):
    @access_token_required
    @blp.doc(operationId="disableTotp", security=BEARER_SECURITY)
    @blp.arguments(MfaPasswordAndCodeSchema, example={**_PASSWORD, "code": _APP_CODE})
    @blp.response(204)
    @blp.alt_response(401, description=_MFA_401)
    @blp.alt_response(
        403, description=f"`invalid_current_password`: the password is wrong; {API_KEY_REFUSED}"
    )
    @blp.alt_response(409, description="`mfa_not_enabled`: the account has no second factor")
    @blp.alt_response(422, description="Invalid body")
    @blp.alt_response(429, description=_MFA_429)
    def post(self, body: dict[str, Any]) -> Response:
        """Turn the second factor off (password and a code); every other session of the account ends."""
        container().totp_service().disable(current_principal(), body["password"], body["code"])
        return Response(status=204)


@blp.route("/mfa/recovery-codes")
class MfaRecoveryCodes(MethodView):
    @access_token_required
    @blp.doc(operationId="regenerateRecoveryCodes", security=BEARER_SECURITY)
    @blp.arguments(MfaPasswordAndCodeSchema, example={**_PASSWORD, "code": _APP_CODE})
    @blp.response(200, RecoveryCodesSchema)
    @blp.alt_response(401, description=_MFA_401)
    @blp.alt_response(
        403, description=f"`invalid_current_password`: the password is wrong; {API_KEY_REFUSED}"
    )
    @blp.alt_response(409, description="`mfa_not_enabled`: the account has no second factor")
    @blp.alt_response(422, description="Invalid body")
    @blp.alt_response(429, description=_MFA_429)
    def post(self, body: dict[str, Any]) -> dict[str, list[str]]:
        """Ten new recovery codes (password and a code); every earlier one stops working."""
        codes = (
            container()
            .totp_service()
            .regenerate_recovery_codes(current_principal(), body["password"], body["code"])
        )
        return {"recovery_codes": codes}


@blp.route("/mfa/verify")
class MfaVerify(MethodView):
    @rate_limit(lambda limits: limits.ratelimit_login_ip, scope="mfa-verify-ip")
    @blp.doc(operationId="verifySecondFactor", parameters=_DEVICE_PARAMETERS)
    @blp.arguments(MfaVerifySchema, example={"mfa_token": _MFA_EXAMPLE, "code": _APP_CODE})
    @blp.response(200, TokenPairSchema, headers={"Set-Cookie": _DEVICE_COOKIE_HEADER})
    @blp.alt_response(
        401,
        description="`invalid_otp`: wrong or used code (the `mfa_token` stays usable until it expires); "
        "`mfa_token_invalid`: the `mfa_token` is unknown, expired or already used",
    )
    @blp.alt_response(403, description="`account_disabled`: the account was disabled meanwhile")
    @blp.alt_response(422, description="Invalid body, or not exactly one of `code` and `recovery_code`")
    @blp.alt_response(
        429,
        description="`rate_limited`: too many requests from this address, or too many failed attempts "
        "for this account (or from this device, with its device token)",
    )
    def post(self, body: dict[str, Any]) -> TokenPair:
        """Complete a login that answered `mfa_required`: its `mfa_token` and one code give the tokens."""
        pair = (
            container()
            .auth_service()
            .verify_second_factor(**body, client=_client(), device_tokens=_presented_device_tokens())
        )
        return _with_refresh_cookie(pair)
