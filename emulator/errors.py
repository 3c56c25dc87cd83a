"""Error answers in the shapes the real services use.

Sources: the google.rpc.Status bodies Vertex AI answers (the messages below are the real ones) and
Pollinations' APIDOCS.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

POLLINATIONS_CODE = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "PAYMENT_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """Raised anywhere in a handler; the server turns it into the family's error body."""

    def __init__(self, code: int, message: str, *, body: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        # A complete body overrides the family's standard shape (used for Pollinations' x402 answer).
        self.body = body


def invalid_argument(message: str) -> ApiError:
    return ApiError(400, message)


def google_error_body(code: int, message: str) -> dict:
    return {"error": {"code": code, "message": message, "status": GOOGLE_STATUS.get(code, "UNKNOWN")}}


def pollinations_error_body(code: int, message: str) -> dict:
    return {
        "status": code,
        "success": False,
        "error": {
            "code": POLLINATIONS_CODE.get(code, "INTERNAL_ERROR"),
            "message": message,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        },
    }


def model_not_found(project: str, location: str, model: str) -> ApiError:
    return ApiError(
        404,
        f"Publisher Model `projects/{project}/locations/{location}/publishers/google/models/{model}` "
        "was not found or your project does not have access to it. Please ensure you are using a "
        "valid model version. For more information, see: "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
    )


# Messages for injected faults. The 429, 403 and blocked texts are real ones Google
# returns; the others are Google's generic texts for those statuses.
def quota_exceeded(model: str) -> str:
    return (
        "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with "
        f"base model: {model}. Please submit a quota increase request. "
        "https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai."
    )


def permission_denied(project: str, location: str, model: str) -> str:
    return (
        "Permission 'aiplatform.endpoints.predict' denied on resource "
        f"'//aiplatform.googleapis.com/projects/{project}/locations/{location}"
        f"/publishers/google/models/{model}' "
        "(or it may not exist)."
    )


# A 400 whose text is written for the operator (GoogleCloudPlatform/generative-ai#814).
RESTRICTED_SETTING = (
    "User has requested a restricted HarmBlockThreshold setting BLOCK_NONE. You can get access either "
    "(a) through an allowlist via your Google account team, or (b) by switching your account type to "
    "monthly invoiced billing via this instruction: "
    "https://cloud.google.com/billing/docs/how-to/invoiced-billing."
)
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential."
)
INTERNAL = "Internal error encountered."
UNAVAILABLE = "The service is currently unavailable."
IMAGEN_PROMPT_BLOCKED = (
    "Image generation failed with the following error: The prompt could not be submitted. This prompt "
    "contains sensitive words that violate Google's Responsible AI practices. Try rephrasing the prompt. "
    "If you think this was an error, send feedback. Support codes: 42876398"
)
