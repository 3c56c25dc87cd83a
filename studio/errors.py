"""The errors a user can get from the studio, with stable machine codes.

The JSON API answers `{"error": {"code", "message", ...}}` with `status`; the LLM tools relay the
same code and message; the pages show the message on the form. One list, so a code means the same
thing everywhere (README: "Error codes").
"""

from __future__ import annotations


class StudioError(Exception):
    """A refusal that costs the user nothing. `extra` carries machine-readable details."""

    def __init__(self, code: str, message: str, *, status: int = 400, **extra) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.extra}


def validation_error(message: str, details: list[dict] | None = None) -> StudioError:
    return StudioError("validation_error", message, status=422, details=details or [])


def not_found(what: str) -> StudioError:
    return StudioError("not_found", f"No {what} with that id.", status=404)


def upgrade_required(message: str, *, tier: str, upgrade: list[dict]) -> StudioError:
    return StudioError("upgrade_required", message, status=403, tier=tier, upgrade=upgrade)
