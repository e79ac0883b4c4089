"""NetDesk's built-in competency framework for network customer service.

Its skills, levels and indicators are the framework file
`data/builtin-framework.csv` and its role profiles `data/builtin-profiles.csv`,
both in the format `netdesk competency import` reads (docs/competency.md);
migration 0002 installs them (builtin_install.py).

Every descriptor and indicator there is NetDesk's own text. Licensed
frameworks (SFIA, e-CF) are not shipped: an organisation that holds a
licence imports its copy with `netdesk competency import`; the external
codes in the file only name the codes such a framework uses for a related
skill, so the two can be mapped.
"""

from __future__ import annotations

from pathlib import Path

FRAMEWORK_NAME = "NetDesk network customer service"
FRAMEWORK_DESCRIPTION = (
    "What the people of a network operator's service desk need to be able to do: "
    "take and solve customers' calls, escalate well, work with the NOC and the field "
    "on network faults, look after key accounts and run the desk. Five levels per skill "
    "(three for certificates); each level includes the ones below it."
)
FRAMEWORK_SOURCE = "built-in"
DATA = Path(__file__).resolve().parent / "data"
FRAMEWORK_FILE = DATA / "builtin-framework.csv"
PROFILES_FILE = DATA / "builtin-profiles.csv"

# The profile an agent is measured against when none was assigned, by role.
ROLE_DEFAULT_PROFILE: dict[str, str] = {
    "hotline_operator": "Hotline operator",
    "noc_engineer": "NOC engineer",
    "field_engineer": "Field engineer",
    "team_lead": "Team lead",
    "service_desk_manager": "Network service manager",
    "account_manager": "Group account manager",
}
