"""docs/permissions.md and roles.py tell the same story, or this test fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from okrplatform.tenancy.roles import MINIMUM_ROLE, Action, Role, role_allows

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
ROLES_IN_ORDER = [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER]
YES, NO = "✓", "—"


def _documented_matrix() -> tuple[list[str], dict[str, list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- matrix:start -->\n(.*?)<!-- matrix:end -->", text, re.DOTALL)
    assert block, "docs/permissions.md lost its <!-- matrix:start/end --> markers"
    rows = [line for line in block.group(1).splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    matrix: dict[str, list[str]] = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        action = re.match(r"`(\w+)`", cells[0])
        assert action, f"a matrix row must start with the action's code: {row}"
        matrix[action.group(1)] = cells[1:]
    return header[1:], matrix


def _code_matrix() -> dict[str, list[str]]:
    return {
        action.value: [YES if role_allows(role, action) else NO for role in ROLES_IN_ORDER]
        for action in Action
    }


def _expected_rows() -> str:
    return "\n".join(
        f"| `{action}` | " + " | ".join(marks) + " |" for action, marks in _code_matrix().items()
    )


def test_the_documented_roles_are_the_roles_in_code() -> None:
    columns, _matrix = _documented_matrix()
    assert columns == [role.label for role in ROLES_IN_ORDER]
    assert set(ROLES_IN_ORDER) == set(Role)


def test_every_action_is_documented_with_the_roles_the_code_allows() -> None:
    _columns, matrix = _documented_matrix()
    assert matrix == _code_matrix(), (
        "docs/permissions.md disagrees with okrplatform/tenancy/roles.py; the code implies:\n"
        + _expected_rows()
    )


def test_every_action_has_a_minimum_role() -> None:
    assert set(MINIMUM_ROLE) == set(Action)


def test_a_changed_minimum_role_would_be_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: let admins grant owner in code, and the doc no longer matches."""
    monkeypatch.setitem(MINIMUM_ROLE, Action.GRANT_OWNER, Role.ADMIN)
    _columns, matrix = _documented_matrix()
    assert matrix != _code_matrix()
