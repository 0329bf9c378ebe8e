"""Our check for schemathesis runs (loaded through ``SCHEMATHESIS_HOOKS``): every error is valid problem+json."""

from __future__ import annotations

import schemathesis

from tests.fuzzing import problem_errors


@schemathesis.check
def problem_json(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Fail when a 4xx or 5xx answer is not RFC 9457 problem+json with the response's own status."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return
    errors = problem_errors(response.status_code, response.headers.get("content-type", [""])[0], response.content)
    if errors:
        raise AssertionError("; ".join(errors))
