"""NetDesk's built-in competency framework for network customer service, as
plain Python data, and the function that installs it (used by the data
migration 0002 and by tests).

Every descriptor and indicator here is NetDesk's own text. Licensed
frameworks (SFIA, e-CF) are not shipped: an organisation that holds a
licence imports its copy with `netdesk competency import`; the
`external_codes` below only name the codes such a framework uses for a
related skill, so the two can be mapped.

Indicator evidence is one or more of: observation, exam, interview, kpi,
document. A KPI rule names a figure of the desk's KPI report for the
agent's own work over the assessment period (dotted path into
`netdesk.reports.kpis.kpi_report`) and the bound it must reach, e.g.
{"kpi": "resolution.first_contact_rate", "at_least": 0.6}.
"""

from __future__ import annotations

from typing import Any, TypedDict

FRAMEWORK_NAME = "NetDesk network customer service"
FRAMEWORK_DESCRIPTION = (
    "What the people of a network operator's service desk need to be able to do: "
    "take and solve customers' calls, escalate well, work with the NOC and the field "
    "on network faults, look after key accounts and run the desk. Five levels per skill "
    "(three for certificates); each level includes the ones below it."
)

# Titles of the levels on the common 1–5 scale.
LEVEL_TITLES = {
    1: "Learning",
    2: "Working",
    3: "Independent",
    4: "Leading",
    5: "Shaping",
}
# Certificates use 1–3.
CERT_TITLES = {1: "In training", 2: "Certified", 3: "Certified trainer"}

OBS, E, INT, K, D = "observation", "exam", "interview", "kpi", "document"


class IndicatorData(TypedDict, total=False):
    level: int
    text: str
    evidence: list[str]
    kpi_rule: dict[str, Any]


class SkillData(TypedDict, total=False):
    code: str
    name: str
    category: str
    parent: str | None
    description: str
    scale_max: int
    external_codes: dict[str, str]
    levels: dict[int, str]
    titles: dict[int, str]
    indicators: list[IndicatorData]


def _i(level: int, text: str, *evidence: str, kpi: dict[str, Any] | None = None) -> IndicatorData:
    data: IndicatorData = {"level": level, "text": text, "evidence": list(evidence)}
    if kpi:
        data["kpi_rule"] = kpi
    return data


def _group(code: str, name: str, category: str, description: str) -> SkillData:
    return {
        "code": code,
        "name": name,
        "category": category,
        "parent": None,
        "description": description,
        "levels": {},
        "indicators": [],
    }


def _language(code: str, name: str, iso: str) -> SkillData:
    return {
        "code": code,
        "name": name,
        "category": "language",
        "parent": "LANG",
        "description": f"Serving customers in {name} on the phone, in chat and in writing.",
        "external_codes": {"iso639": iso},
        "levels": {
            1: f"Greets a caller in {name}, takes their name and number and hands the call "
            "to a colleague who speaks it.",
            2: f"Handles a simple {name} call (a status question, a meter reading, an "
            "appointment) with set phrases and the knowledge base.",
            3: f"Runs a routine fault or billing call in {name} from start to end and writes "
            "the customer a clear reply.",
            4: f"Handles complaints and technical explanations in {name} without "
            "misunderstandings, including on a bad line.",
            5: f"Writes and reviews {name} reply templates and knowledge articles; the "
            "reference for colleagues on wording.",
        },
        "indicators": [
            _i(1, f"Opens and hands over a {name} call politely without losing the caller.", OBS),
            _i(2, f"Closes simple {name} requests without help from a colleague.", OBS),
            _i(3, f"Passes a recorded {name} role-play of a fault call.", INT, OBS),
            _i(
                4,
                f"Explains a fault and its repair time in {name} so the caller can repeat it.",
                OBS,
                INT,
            ),
            _i(5, f"Has templates or articles in {name} accepted into the knowledge base.", D),
        ],
    }


SKILLS: list[SkillData] = [
    # ---- customer service -------------------------------------------------
    _group(
        "CS",
        "Customer service",
        "behavioural",
        "Working with customers and their requests from the first call to the last.",
    ),
    {
        "code": "CS-INTERACT",
        "name": "Customer interaction",
        "category": "behavioural",
        "parent": "CS",
        "description": "Talking and writing with customers so that they are understood, kept "
        "informed and treated with respect, on every channel the desk offers.",
        "levels": {
            1: "Follows the desk's call opening and closing, identifies the caller and notes "
            "what they want in the ticket.",
            2: "Listens for the real request behind the words, repeats it back and agrees the "
            "next step and when the customer will hear from the desk.",
            3: "Adapts tone and detail to the caller (a home user, an IT manager, an upset "
            "customer) and keeps promised call-backs without reminders.",
            4: "Coaches colleagues on difficult conversations and reviews recorded calls "
            "against the desk's service standard.",
            5: "Designs the desk's conversation guidelines and reply templates and measures "
            "their effect on satisfaction.",
        },
        "indicators": [
            _i(1, "Uses the greeting, identification and closing steps on every call.", OBS),
            _i(1, "Records the caller's request in the ticket in their own words.", OBS, D),
            _i(2, "Summarises the agreed next step and its time before ending the call.", OBS),
            _i(
                2,
                "Answers customers within the desk's response time.",
                K,
                kpi={"kpi": "response.rate", "at_least": 0.8},
            ),
            _i(
                3, "Keeps a calm, clear conversation with an angry caller in a role-play.", INT, OBS
            ),
            _i(3, "Has no missed call-backs over the assessment period.", OBS, K),
            _i(
                4,
                "Gives written feedback on colleagues' recorded calls that they can act on.",
                OBS,
                D,
            ),
            _i(5, "Publishes conversation guidelines adopted by the desk.", D, INT),
        ],
    },
    {
        "code": "CS-COMPLAINT",
        "name": "Complaint resolution",
        "category": "behavioural",
        "parent": "CS",
        "description": "Turning a dissatisfied customer's complaint into a fair fix, "
        "quickly, and removing what caused it.",
        "levels": {
            1: "Recognises a complaint, acknowledges the customer's frustration and records "
            "it as a complaint rather than a plain request.",
            2: "Settles common complaints (a missed appointment, a billing error) within the "
            "desk's rules for goodwill and credits.",
            3: "Investigates what went wrong across tickets, orders and outages and offers a "
            "fair remedy on the first contact where the rules allow.",
            4: "Owns repeated or high-value complaints end to end and spots patterns that "
            "point at a process or network cause.",
            5: "Sets the desk's complaint policy and remedies and reports root causes to the "
            "teams that can remove them.",
        },
        "indicators": [
            _i(1, "Files complaints with the complaint ticket type, not as incidents.", OBS, D),
            _i(2, "Applies the goodwill and credit rules correctly in a written test.", E),
            _i(
                2,
                "Few complaints they solve are reopened.",
                K,
                kpi={"kpi": "resolution.reopen_rate", "at_most": 0.15},
            ),
            _i(
                3,
                "Solves most complaints on the first contact.",
                K,
                kpi={"kpi": "resolution.first_contact_rate", "at_least": 0.6},
            ),
            _i(3, "Describes in an interview how they traced a complaint to its cause.", INT),
            _i(4, "Brings a complaint pattern with evidence to the team lead or the NOC.", OBS, D),
            _i(5, "Writes a complaint policy or remedy table the desk adopts.", D),
        ],
    },
    {
        "code": "CS-ESCALATE",
        "name": "Escalation management",
        "category": "behavioural",
        "parent": "CS",
        "description": "Judging how serious an issue is, sending it to the right line at the "
        "right time and keeping the customer confident while another line works on it.",
        "levels": {
            1: "Knows the desk's lines and groups and when a ticket must leave first line.",
            2: "Sets priority from impact and urgency and escalates with a complete hand-over "
            "note, so the next line does not call the customer again for the same facts.",
            3: "Resolves what can be resolved without escalating and drives escalated tickets "
            "to closure, chasing the other line when a target is at risk.",
            4: "Defuses escalations from angry or important customers and decides on "
            "hierarchical escalation to management.",
            5: "Designs the escalation rules, priorities and hand-over standards of the desk.",
        },
        "indicators": [
            _i(1, "Names the right group for ten sample faults in a written test.", E),
            _i(2, "Hand-over notes on escalated tickets hold the checks already done.", OBS, D),
            _i(
                3,
                "Solves most tickets without sending them beyond first line.",
                K,
                kpi={"kpi": "resolution.without_escalation_rate", "at_least": 0.7},
            ),
            _i(3, "Chases escalated tickets before their service-level target runs out.", OBS),
            _i(4, "Explains in an interview how they calmed a management escalation.", INT),
            _i(5, "Authors the escalation matrix in use on the desk.", D),
        ],
    },
    {
        "code": "CS-SUPPORT",
        "name": "User support",
        "category": "technical",
        "parent": "CS",
        "description": "First-line support: taking users' requests and faults, solving what "
        "can be solved with the known procedures and recording everything in the ticket.",
        "external_codes": {"ecf": "C.1"},
        "levels": {
            1: "Answers calls, mails and chats and closes the simple requests that the "
            "desk's written procedures cover.",
            2: "Narrows a fault down from what the customer reports and the line checks, "
            "looks for a known fix in the knowledge base and hands on what remains with "
            "everything tried written in the ticket.",
            3: "Handles the whole range of first-line requests, including the less common "
            "products, and writes knowledge articles from solved tickets.",
            4: "Is the desk's reference for hard cases, improves procedures and briefs "
            "colleagues on new faults and products.",
            5: "Decides how first-line support is organised and what it solves itself.",
        },
        "indicators": [
            _i(1, "Solves password, status and appointment requests with the procedures.", OBS),
            _i(2, "Passes the first-line diagnosis exam for broadband faults.", E),
            _i(
                2,
                "Closes a steady share of the tickets they work.",
                K,
                kpi={"kpi": "tickets_closed", "at_least": 20},
            ),
            _i(3, "Has knowledge articles from their own tickets published.", D),
            _i(4, "Gives briefings on new fault patterns that colleagues use.", OBS, D),
            _i(5, "Presents a first-line support model in an interview.", INT, D),
        ],
    },
    {
        "code": "CS-DESK",
        "name": "Service desk management",
        "category": "technical",
        "parent": "CS",
        "description": "Running the service desk as a function: staffing, work allocation, "
        "service levels, reports and the desk's standards.",
        "external_codes": {"sfia": "CSMG"},
        "levels": {
            1: "Knows the desk's service levels and how the queue, groups and tiers fit together.",
            2: "Watches the queue and service-level timers during a shift and warns when "
            "targets are at risk.",
            3: "Allocates work across the team to meet the service levels and reads the KPI "
            "and compliance reports to find where time is lost.",
            4: "Owns the desk's working procedures and runs the team's daily work so that "
            "the service-level targets are met.",
            5: "Sets the desk's service levels, operating agreements and continuity plans and "
            "is accountable for the whole function.",
        },
        "indicators": [
            _i(1, "Explains the queue, tiers and service-level targets correctly.", E, INT),
            _i(2, "Raises at-risk tickets to the team lead before they breach.", OBS),
            _i(3, "Produces a weekly service-level summary with actions.", D),
            _i(4, "Has written procedures in force on the desk.", D),
            _i(5, "Presents the desk's service-level and continuity plans.", INT, D),
        ],
    },
    {
        "code": "CS-KEYACCT",
        "name": "Key account management",
        "category": "behavioural",
        "parent": "CS",
        "description": "Looking after group and key-account customers: knowing their "
        "services and sites, keeping them informed and representing them inside the operator.",
        "external_codes": {"ecf": "E.4"},
        "levels": {
            1: "Knows which customers are key accounts and who their account manager is.",
            2: "Keeps a key account's contacts, sites and services up to date and tells them "
            "proactively about outages that touch them.",
            3: "Runs regular service reviews with the customer using their tickets, outages "
            "and service-level figures.",
            4: "Negotiates remedies and changes for the customer across departments and "
            "spots needs that lead to new services.",
            5: "Shapes how the operator manages key accounts and mentors account managers.",
        },
        "indicators": [
            _i(1, "Flags key-account callers and routes them as the desk requires.", OBS),
            _i(2, "Informs affected key accounts within the hour of a confirmed outage.", OBS, D),
            _i(3, "Holds documented service reviews with each of their accounts.", D),
            _i(4, "Describes a cross-department solution they brought about for a customer.", INT),
            _i(5, "Leads the account management team's development programme.", D, INT),
        ],
    },
    # ---- network operations ----------------------------------------------
    _group(
        "NET",
        "Network operations",
        "technical",
        "Keeping the network running and getting faults found and fixed.",
    ),
    {
        "code": "NET-LIAISE",
        "name": "Liaising with customer service on network problems",
        "category": "technical",
        "parent": "NET",
        "description": "The NOC's side of working with the desk: giving front-line colleagues "
        "network status, helping with customers' faults remotely and getting other teams in.",
        "levels": {
            1: "Answers the desk's status questions from the NOC board and known incidents.",
            2: "Takes troubleshooting requests from the desk, runs the remote checks and "
            "reports the result in words the desk can pass on.",
            3: "Puts a network fault so that whoever asks, an agent or an engineer, "
            "understands it, and books field or site engineers when remote work is not enough.",
            4: "Coordinates the desk and the NOC during a major outage, keeping status and "
            "call reports consistent across both.",
            5: "Agrees the service commitments between the NOC and the desk and improves how "
            "the two work together.",
        },
        "indicators": [
            _i(1, "Gives the desk correct incident status on request.", OBS),
            _i(2, "Answers troubleshooting requests with a recorded result.", OBS, D),
            _i(
                3,
                "Explains the same fault to an agent and to an engineer in a role-play.",
                INT,
                OBS,
            ),
            _i(4, "Keeps the status page and desk updates in step during an outage.", OBS, D),
            _i(5, "Writes the NOC–desk operating agreement.", D),
        ],
    },
    {
        "code": "NET-DIAG",
        "name": "Remote line diagnosis",
        "category": "technical",
        "parent": "NET",
        "description": "Finding a fault on a customer's access line from a distance: line "
        "tests, modem data, alarms and the topology upstream.",
        "levels": {
            1: "Runs the standard line test and reads its result as pass or fail.",
            2: "Reads modem and line data (sync rate, noise margin, optical level) and "
            "tells a customer-side fault from a network one.",
            3: "Locates faults along the path using alarms and the topology and decides "
            "whether a field visit is needed.",
            4: "Diagnoses intermittent and multi-customer faults and writes the desk's "
            "diagnosis guides.",
            5: "Chooses the diagnosis tools and methods the operator uses.",
        },
        "indicators": [
            _i(1, "Runs line tests correctly in supervised practice.", OBS),
            _i(2, "Passes the line-data exam for DSL, fibre and cable.", E),
            _i(3, "Field visits they order find the fault where they said.", OBS, D),
            _i(4, "Has diagnosis guides published.", D),
            _i(5, "Presents a tool and method choice with its business case.", INT, D),
        ],
    },
    {
        "code": "NET-INCIDENT",
        "name": "Network incident handling",
        "category": "technical",
        "parent": "NET",
        "description": "Turning alarms into incidents, finding the root cause, restoring "
        "service and telling those affected.",
        "external_codes": {"ecf": "C.4"},
        "levels": {
            1: "Acknowledges alarms and opens incidents following the NOC procedure.",
            2: "Groups related alarms into one incident and links customers' tickets to it.",
            3: "Finds the root element, restores service and records the cause and fix.",
            4: "Leads major incidents, including the post-incident review.",
            5: "Designs the incident process, alarm rules and review practice of the NOC.",
        },
        "indicators": [
            _i(1, "Opens incidents with the required fields filled.", OBS, D),
            _i(2, "Links complaint tickets to the right incident.", OBS),
            _i(3, "Passes the root-cause exercise on the training network.", E, OBS),
            _i(4, "Chairs a post-incident review with written actions.", D, INT),
            _i(5, "Owns the NOC's incident process document.", D),
        ],
    },
    {
        "code": "NET-FIELD",
        "name": "On-site repair and installation",
        "category": "technical",
        "parent": "NET",
        "description": "Installing and repairing access lines and customer equipment on site "
        "and in the street cabinet, safely and right the first time.",
        "levels": {
            1: "Assists on installations and repairs under supervision.",
            2: "Installs standard residential services alone and repairs common faults.",
            3: "Repairs faults in cabinets and on business sites and closes tickets with a "
            "clear repair record.",
            4: "Handles complex repairs (fibre breaks, leased lines) and trains new engineers.",
            5: "Sets field working methods and quality checks.",
        },
        "indicators": [
            _i(1, "Works to the site safety rules on supervised jobs.", OBS),
            _i(2, "Completes standard installations without a return visit.", OBS, D),
            _i(
                3,
                "Few of their repaired tickets are reopened.",
                K,
                kpi={"kpi": "resolution.reopen_rate", "at_most": 0.1},
            ),
            _i(4, "Has trained new engineers on complex repairs.", OBS, D),
            _i(5, "Issues field method or quality check documents.", D),
        ],
    },
    # ---- products ---------------------------------------------------------
    _group(
        "PRD",
        "Products",
        "product",
        "Knowing what the operator sells and how it works for the customer.",
    ),
    {
        "code": "PRD-BROADBAND",
        "name": "Broadband access products",
        "category": "product",
        "parent": "PRD",
        "description": "Residential and small-business internet over fibre, VDSL, ADSL, cable "
        "and fixed wireless: tariffs, equipment and common faults.",
        "levels": {
            1: "Names the broadband products and what each includes.",
            2: "Explains speeds, equipment and set-up to customers and solves common "
            "configuration faults.",
            3: "Advises on the right product and technology for an address and handles "
            "product changes.",
            4: "Briefs the desk on new products and their known issues.",
            5: "Works with product management on what the desk needs from a new product.",
        },
        "indicators": [
            _i(1, "Passes the product catalogue quiz.", E),
            _i(2, "Talks a customer through router set-up in a role-play.", OBS, INT),
            _i(3, "Passes the product advice exam.", E),
            _i(4, "Gives product briefings to the desk.", OBS, D),
            _i(5, "Contributes desk requirements to a product launch.", D),
        ],
    },
    {
        "code": "PRD-VOICE",
        "name": "Voice products",
        "category": "product",
        "parent": "PRD",
        "description": "Telephony over IP and traditional lines: numbers, porting, features "
        "and faults.",
        "levels": {
            1: "Names the voice products and features.",
            2: "Sets up features and handles simple number and porting questions.",
            3: "Solves voice quality and porting faults with the NOC.",
            4: "Briefs the desk on voice changes and known issues.",
            5: "Works with product management on voice services.",
        },
        "indicators": [
            _i(1, "Passes the voice product quiz.", E),
            _i(2, "Completes porting requests without errors.", OBS, D),
            _i(3, "Solves voice quality cases with the right NOC hand-over.", OBS),
            _i(4, "Gives voice product briefings.", OBS, D),
            _i(5, "Contributes desk requirements to a voice product change.", D),
        ],
    },
    {
        "code": "PRD-BUSINESS",
        "name": "Business connectivity",
        "category": "product",
        "parent": "PRD",
        "description": "Leased lines, VPNs and business fibre with service-level agreements.",
        "levels": {
            1: "Knows the business products and that they carry contractual service levels.",
            2: "Reads a customer's contract for its service levels and contacts.",
            3: "Handles faults on business services within their contract terms.",
            4: "Advises key accounts on service design and resilience.",
            5: "Shapes the business product offer with product management.",
        },
        "indicators": [
            _i(1, "Passes the business product quiz.", E),
            _i(2, "Finds the contract terms that apply to a ticket.", OBS),
            _i(3, "Keeps business tickets within their contracted targets.", OBS, K),
            _i(4, "Describes a resilience design they advised on.", INT),
            _i(5, "Contributes to a business product proposal.", D),
        ],
    },
    # ---- core -------------------------------------------------------------
    _group(
        "CORE",
        "Core competencies",
        "behavioural",
        "Ways of working that every role on the desk relies on.",
    ),
    {
        "code": "CORE-DIGITAL",
        "name": "Digital literacy",
        "category": "behavioural",
        "parent": "CORE",
        "description": "Using the desk's systems and the web well: finding what is needed, "
        "telling reliable information from unreliable and passing it on safely.",
        "levels": {
            1: "Uses NetDesk, mail and chat for their own work and knows where trustworthy "
            "information is kept.",
            2: "Searches the knowledge base and customer records efficiently and handles "
            "customer data according to the privacy rules.",
            3: "Judges the reliability of online information and shares useful findings "
            "with the team.",
            4: "Helps the team adopt new tools and raises their digital skills.",
            5: "Chooses and introduces new digital tools for the desk.",
        },
        "indicators": [
            _i(1, "Works a ticket in NetDesk from intake to resolution unaided.", OBS),
            _i(2, "Passes the data protection and tools test.", E),
            _i(3, "Shares sources or tips that the team uses.", OBS, D),
            _i(4, "Runs tool training sessions for colleagues.", D, OBS),
            _i(5, "Leads the introduction of a new desk tool.", D, INT),
        ],
    },
    {
        "code": "CORE-PLAN",
        "name": "Planning and organising",
        "category": "behavioural",
        "parent": "CORE",
        "description": "Deciding what comes first and making shift, team and project time "
        "fit the promises made.",
        "levels": {
            1: "Plans their own shift: breaks, call-backs and follow-ups.",
            2: "Keeps their ticket backlog in order and meets the dates they promise.",
            3: "Plans small pieces of work with others and tracks them with simple measures.",
            4: "Schedules the team's work, shifts and projects so that goals are met on time.",
            5: "Sets how the desk plans its work and aligns it with the operator's goals.",
        },
        "indicators": [
            _i(1, "Keeps every call-back they promise.", OBS),
            _i(2, "Holds no tickets older than a week without a next step.", OBS, K),
            _i(3, "Delivers a small improvement on the date planned.", D, OBS),
            _i(4, "Produces shift and project plans that are kept.", D),
            _i(5, "Presents the desk's planning approach.", INT, D),
        ],
    },
    {
        "code": "CORE-LEAD",
        "name": "Leading a team",
        "category": "behavioural",
        "parent": "CORE",
        "description": "Guiding, assessing and developing a team of agents.",
        "levels": {
            1: "Helps new colleagues find their way.",
            2: "Acts as buddy or shift lead when asked.",
            3: "Leads a team day to day, holds one-to-ones and gives feedback.",
            4: "Assesses the team's competencies and agrees development plans with them.",
            5: "Develops team leads and shapes the desk's people practices.",
        },
        "indicators": [
            _i(1, "Is asked by new colleagues for help and gives it.", OBS),
            _i(2, "Runs a shift without escalations about its organisation.", OBS),
            _i(3, "Holds documented one-to-ones with each team member.", D),
            _i(4, "Every team member has an agreed development plan.", D, INT),
            _i(5, "Mentors team leads through a development programme.", D, INT),
        ],
    },
    # ---- languages --------------------------------------------------------
    _group("LANG", "Languages", "language", "Serving customers in their language."),
    _language("LANG-DE", "German", "de"),
    _language("LANG-EN", "English", "en"),
    _language("LANG-TR", "Turkish", "tr"),
    # ---- certifications ---------------------------------------------------
    _group(
        "CERT",
        "Certifications",
        "certification",
        "Certificates some work requires; shown by the certificate document.",
    ),
    {
        "code": "CERT-FIBRE",
        "name": "Fibre splicing and measurement",
        "category": "certification",
        "parent": "CERT",
        "description": "Splicing optical fibre and measuring it (OTDR, power meter).",
        "scale_max": 3,
        "titles": CERT_TITLES,
        "levels": {
            1: "In training for the fibre certificate; works only under supervision.",
            2: "Holds a valid fibre splicing and measurement certificate.",
            3: "Holds the certificate and is qualified to train and certify others.",
        },
        "indicators": [
            _i(1, "Enrolment in the fibre course.", D),
            _i(2, "A valid certificate.", D),
            _i(3, "A trainer qualification.", D),
        ],
    },
    {
        "code": "CERT-ITSM",
        "name": "IT service management foundation",
        "category": "certification",
        "parent": "CERT",
        "description": "A recognised foundation certificate in IT service management.",
        "scale_max": 3,
        "titles": CERT_TITLES,
        "levels": {
            1: "Preparing for the service management foundation exam.",
            2: "Holds a service management foundation certificate.",
            3: "Holds an advanced service management certificate.",
        },
        "indicators": [
            _i(1, "Enrolment in the course.", D),
            _i(2, "A foundation certificate.", D),
            _i(3, "An advanced certificate.", D),
        ],
    },
    {
        "code": "CERT-SAFETY",
        "name": "Electrical and outdoor work safety",
        "category": "certification",
        "parent": "CERT",
        "description": "Safety instruction for electrical work, ladders and street cabinets.",
        "scale_max": 3,
        "titles": CERT_TITLES,
        "levels": {
            1: "Instructed; works on site only with a certified colleague.",
            2: "Holds a current safety certificate for site work.",
            3: "Qualified to give the safety instruction.",
        },
        "indicators": [
            _i(1, "A signed instruction record.", D),
            _i(2, "A current certificate.", D),
            _i(3, "An instructor qualification.", D),
        ],
    },
]

# Role profiles: (name, description, [(skill code, minimum level, hard)]).
PROFILES: list[tuple[str, str, list[tuple[str, int, bool]]]] = [
    (
        "Hotline operator",
        "First line: takes customers' calls, chats and mails, solves what the procedures "
        "cover and escalates the rest.",
        [
            ("CS-INTERACT", 2, True),
            ("CS-SUPPORT", 2, True),
            ("CS-COMPLAINT", 2, True),
            ("CS-ESCALATE", 1, True),
            ("PRD-BROADBAND", 2, True),
            ("PRD-VOICE", 2, False),
            ("CORE-DIGITAL", 2, True),
            ("LANG-DE", 4, True),
            ("LANG-EN", 2, False),
        ],
    ),
    (
        "Network service representative",
        "Sorts out customers' service and billing problems across every product, beyond the first call.",
        [
            ("CS-INTERACT", 3, True),
            ("CS-COMPLAINT", 3, True),
            ("CS-ESCALATE", 2, True),
            ("CS-SUPPORT", 3, True),
            ("PRD-BROADBAND", 3, True),
            ("PRD-VOICE", 2, True),
            ("PRD-BUSINESS", 2, False),
            ("NET-DIAG", 2, False),
            ("CORE-DIGITAL", 3, True),
            ("LANG-DE", 4, True),
            ("LANG-EN", 3, False),
        ],
    ),
    (
        "NOC engineer",
        "Second line: watches the network, handles incidents and supports the desk on "
        "network problems.",
        [
            ("NET-LIAISE", 4, True),
            ("NET-INCIDENT", 3, True),
            ("NET-DIAG", 3, True),
            ("CS-ESCALATE", 2, True),
            ("CS-INTERACT", 2, False),
            ("PRD-BUSINESS", 3, False),
            ("CORE-DIGITAL", 3, True),
            ("CERT-ITSM", 2, False),
            ("LANG-EN", 3, False),
        ],
    ),
    (
        "Field engineer",
        "Third line: installs and repairs lines and equipment on site.",
        [
            ("NET-FIELD", 3, True),
            ("NET-DIAG", 2, True),
            ("CERT-SAFETY", 2, True),
            ("CERT-FIBRE", 2, False),
            ("CS-INTERACT", 2, True),
            ("NET-LIAISE", 2, False),
            ("CORE-PLAN", 2, False),
        ],
    ),
    (
        "Team lead",
        "Leads a team of agents: their work, their service levels and their development.",
        [
            ("CORE-LEAD", 3, True),
            ("CS-COMPLAINT", 4, True),
            ("CS-ESCALATE", 3, True),
            ("CS-DESK", 3, True),
            ("CS-INTERACT", 3, True),
            ("CORE-PLAN", 3, True),
            ("CORE-DIGITAL", 3, False),
            ("CS-SUPPORT", 3, False),
        ],
    ),
    (
        "Network service manager",
        "Runs the desk and its representatives: what the desk promises customers, how it "
        "keeps those promises, and how network faults are followed up and reported.",
        [
            ("CS-COMPLAINT", 3, True),
            ("CS-ESCALATE", 4, True),
            ("CS-INTERACT", 3, True),
            ("CS-DESK", 4, True),
            ("CORE-DIGITAL", 3, True),
            ("CORE-PLAN", 4, True),
            ("CORE-LEAD", 4, True),
            ("NET-LIAISE", 3, False),
            ("CERT-ITSM", 2, False),
        ],
    ),
    (
        "Group account manager",
        "Looks after group and key-account customers and their services.",
        [
            ("CS-KEYACCT", 4, True),
            ("CS-INTERACT", 4, True),
            ("CS-COMPLAINT", 3, True),
            ("CS-ESCALATE", 3, True),
            ("PRD-BUSINESS", 4, True),
            ("CORE-PLAN", 3, True),
            ("CORE-DIGITAL", 2, False),
            ("LANG-EN", 3, False),
        ],
    ),
]

# The profile an agent is measured against when none was assigned, by role.
ROLE_DEFAULT_PROFILE: dict[str, str] = {
    "hotline_operator": "Hotline operator",
    "noc_engineer": "NOC engineer",
    "field_engineer": "Field engineer",
    "team_lead": "Team lead",
    "service_desk_manager": "Network service manager",
    "account_manager": "Group account manager",
}


def install(apps: Any, *, published_at: Any) -> Any:
    """Create the built-in framework, published, with its role profiles.
    `apps` is a migration's app registry (or django.apps.apps); only fields
    present since migration 0002 are used. Does nothing if it exists."""
    Framework = apps.get_model("competency", "Framework")
    Skill = apps.get_model("competency", "Skill")
    LevelDescriptor = apps.get_model("competency", "LevelDescriptor")
    Indicator = apps.get_model("competency", "Indicator")
    RoleProfile = apps.get_model("competency", "RoleProfile")
    ProfileRequirement = apps.get_model("competency", "ProfileRequirement")

    found = Framework.objects.filter(name=FRAMEWORK_NAME).first()
    if found is not None:
        return found
    framework = Framework.objects.create(
        name=FRAMEWORK_NAME,
        version=1,
        state="published",
        description=FRAMEWORK_DESCRIPTION,
        source="built-in",
        published_at=published_at,
    )
    by_code: dict[str, Any] = {}
    for data in SKILLS:  # parents come before their children
        by_code[data["code"]] = Skill.objects.create(
            framework=framework,
            code=data["code"],
            name=data["name"],
            category=data["category"],
            parent=by_code.get(data.get("parent") or ""),
            description=data.get("description", ""),
            scale_min=1,
            scale_max=data.get("scale_max", 5),
            external_codes=data.get("external_codes", {}),
        )
    levels, indicators = [], []
    for data in SKILLS:
        skill = by_code[data["code"]]
        titles = data.get("titles", LEVEL_TITLES)
        for level, description in data["levels"].items():
            levels.append(
                LevelDescriptor(
                    skill=skill, level=level, title=titles.get(level, ""), description=description
                )
            )
        for ind in data["indicators"]:
            indicators.append(
                Indicator(
                    skill=skill,
                    level=ind["level"],
                    text=ind["text"],
                    evidence=ind["evidence"],
                    kpi_rule=ind.get("kpi_rule", {}),
                )
            )
    LevelDescriptor.objects.bulk_create(levels)
    Indicator.objects.bulk_create(indicators)
    requirements = []
    for name, description, needs in PROFILES:
        profile = RoleProfile.objects.create(
            framework=framework, name=name, description=description
        )
        for code, min_level, hard in needs:
            requirements.append(
                ProfileRequirement(
                    profile=profile, skill=by_code[code], min_level=min_level, hard=hard
                )
            )
    ProfileRequirement.objects.bulk_create(requirements)
    return framework
