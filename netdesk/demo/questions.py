"""The demo's exam question bank: multiple-choice questions for four skills
of the built-in framework at levels 2 and 3, in NetDesk's own words about
the hotline of a network operator — line faults, complaints, call-backs,
escalations and billing questions. `correct` counts the choices from 0, as
`exam_question_create` does."""

from __future__ import annotations

from typing import NamedTuple


class Question(NamedTuple):
    skill: str
    level: int
    text: str
    choices: tuple[str, ...]
    correct: int


QUESTIONS: list[Question] = [
    # ---- CS-COMPLAINT: complaint resolution -------------------------------------
    Question(
        "CS-COMPLAINT",
        2,
        "A customer took a day off for a technician's visit, and nobody came. "
        "What do you do first?",
        (
            "Explain that technicians are often held up by earlier jobs.",
            "Give them the field team's phone number.",
            "Apologise, record it as a complaint and book a new visit at a time that suits them.",
            "Ask them to put the complaint in writing.",
        ),
        2,
    ),
    Question(
        "CS-COMPLAINT",
        2,
        "A customer was charged twice for the same month; the second charge is "
        "plainly a billing error. How do you record the call?",
        (
            "As a complaint ticket, with the invoice numbers and the amount to credit.",
            "As a fault on the line.",
            "Not at all: billing corrects double charges by itself.",
            "As a general question, closed straight away.",
        ),
        0,
    ),
    Question(
        "CS-COMPLAINT",
        2,
        "The goodwill rules let you credit up to one month's fee yourself. A customer "
        "asks for three months' credit after a two-day outage. What do you do?",
        (
            "Credit the three months, so they do not leave.",
            "Refuse any credit: outages are not the desk's fault.",
            "Tell them to cancel the contract if they are unhappy.",
            "Offer the credit the rules give for a two-day outage, explain how it is "
            "worked out, and pass a request for more to the team lead if they insist.",
        ),
        3,
    ),
    Question(
        "CS-COMPLAINT",
        2,
        "When is a call a complaint rather than a plain request?",
        (
            "Only when the customer uses the word 'complaint'.",
            "When the customer is unhappy with something the operator did or failed to "
            "do and expects it put right.",
            "When the call lasts longer than ten minutes.",
            "When the customer asks to speak to a manager.",
        ),
        1,
    ),
    Question(
        "CS-COMPLAINT",
        2,
        "You promised a customer a credit for a missed appointment. How do you make "
        "sure it reaches their bill?",
        (
            "Write it down in your own notebook.",
            "Trust that billing will read the call notes.",
            "Ask the customer to call again if it does not appear.",
            "Record the credit in the complaint ticket and keep the ticket open until "
            "the credit shows on the account.",
        ),
        3,
    ),
    Question(
        "CS-COMPLAINT",
        2,
        "Why does the desk watch how many of the complaints it solved are reopened?",
        (
            "A reopened complaint means the first fix did not hold: the customer had to come back.",
            "Reopened tickets take up space in the database.",
            "It shows how many customers complain in a month.",
            "It decides the agents' shift pattern.",
        ),
        0,
    ),
    Question(
        "CS-COMPLAINT",
        3,
        "A customer complains that their internet has been slow every evening for two "
        "weeks. Before you offer anything, what do you check?",
        (
            "Nothing: offer a credit straight away.",
            "Their earlier tickets, any known outage or congestion on their access "
            "element, and their line data.",
            "Only whether their last bill has been paid.",
            "Whether they have complained before, so you can refuse a second credit.",
        ),
        1,
    ),
    Question(
        "CS-COMPLAINT",
        3,
        "A missed technician visit turns out to have been caused by a wrong address on "
        "the order. What do you do besides settling the complaint?",
        (
            "Nothing more: the complaint is settled.",
            "Tell the customer it was their mistake.",
            "Correct the address on the order and tell the team lead, so that order "
            "entry can be checked.",
            "Cancel the order and ask the customer to order again.",
        ),
        2,
    ),
    Question(
        "CS-COMPLAINT",
        3,
        "Three customers in the same street complain today about repeated dropouts. "
        "What is the best next step?",
        (
            "Link the tickets and ask the NOC whether the access element they share has a fault.",
            "Treat each one as separate bad luck.",
            "Send each of them a new router.",
            "Advise them to restart the router every evening.",
        ),
        0,
    ),
    Question(
        "CS-COMPLAINT",
        3,
        "A business customer complains that an outage of their leased line broke the "
        "agreed service level. Where do you find what they are owed?",
        (
            "In what the customer says they are owed.",
            "In the newest offer from marketing.",
            "Nowhere: business customers get no compensation.",
            "In their contract's service levels and the desk's remedy table, against the "
            "outage's recorded start and end.",
        ),
        3,
    ),
    Question(
        "CS-COMPLAINT",
        3,
        "When may you offer a remedy on the first contact?",
        (
            "Never: every complaint goes to the team lead first.",
            "When the facts are clear and the remedy is within the rules you may apply.",
            "Only when the customer threatens to leave.",
            "Whenever the customer asks for one.",
        ),
        1,
    ),
    # ---- CS-INTERACT: customer interaction ----------------------------------------
    Question(
        "CS-INTERACT",
        2,
        "Before you end a call about a fault, what should the customer know?",
        (
            "The ticket number and nothing else.",
            "How busy the desk is today.",
            "What happens next, who does it and when they will hear from the desk.",
            "The name of the field engineer's manager.",
        ),
        2,
    ),
    Question(
        "CS-INTERACT",
        2,
        "A caller says: 'The internet is broken again.' What helps you find the real request?",
        (
            "Ask what exactly does not work, since when and on which devices, then repeat "
            "it back to them.",
            "Start a line test without asking anything.",
            "Tell them to restart the router and end the call.",
            "Transfer the call to the NOC.",
        ),
        0,
    ),
    Question(
        "CS-INTERACT",
        2,
        "You promised a call-back by 4 pm, but the engineer's answer is not in yet. "
        "What do you do?",
        (
            "Wait for the answer, however late it comes.",
            "Call at 4 pm as promised, say what is known so far and when the next update "
            "will come.",
            "Close the ticket; the customer will call if it still matters.",
            "Ask a colleague to call instead, without telling them the background.",
        ),
        1,
    ),
    Question(
        "CS-INTERACT",
        2,
        "Which of these confirms a customer's request most clearly?",
        (
            "'OK, got it.'",
            "'I'll see what I can do.'",
            "'Please send us an e-mail with the details.'",
            "'So your phone has had no dial tone since this morning, the internet still "
            "works, and you want a technician as soon as possible. Is that right?'",
        ),
        3,
    ),
    Question(
        "CS-INTERACT",
        2,
        "A customer answers in short, hesitant sentences and seems unsure. What works best?",
        (
            "Speak faster to keep the call short.",
            "Read the technical script word for word.",
            "Ask them to put someone else on the line.",
            "Plain words, one question at a time, checking that they followed each step.",
        ),
        3,
    ),
    Question(
        "CS-INTERACT",
        3,
        "The IT manager of a business customer calls about packet loss on their leased "
        "line. How do you adapt the conversation?",
        (
            "Explain what a router is, to be safe.",
            "Use the technical terms they use, share the measurements you see and agree "
            "a precise time for the next update.",
            "Transfer them to sales.",
            "Ask them to restart their router first.",
        ),
        1,
    ),
    Question(
        "CS-INTERACT",
        3,
        "An angry caller shouts that they have been without internet for three days. "
        "What do you say first?",
        (
            "'Please calm down, or I will have to end the call.'",
            "'That is not my fault.'",
            "'Three days without internet is a real problem, I understand. Let me look at "
            "what has happened with your line.'",
            "'Everyone in your area has the same problem.'",
        ),
        2,
    ),
    Question(
        "CS-INTERACT",
        3,
        "Where do you keep the call-backs you promised, so that none is missed?",
        (
            "As a follow-up with a due time on the ticket, so it shows in your queue.",
            "In your head.",
            "On a sticky note on the screen.",
            "In an e-mail to yourself.",
        ),
        0,
    ),
    Question(
        "CS-INTERACT",
        3,
        "An older customer does not know the words 'router' and 'ONT'. How do you guide them?",
        (
            "Send them the technical manual.",
            "Use the terms anyway, so that they learn them.",
            "Ask them to call back with a younger relative.",
            "Describe the boxes by how they look and where their lights are, one step at a time.",
        ),
        3,
    ),
    Question(
        "CS-INTERACT",
        3,
        "A customer asks something you do not know the answer to. What is best?",
        (
            "Guess, so that the call ends quickly.",
            "Say you will find out, agree when you will come back to them, and do it.",
            "Tell them nobody at the desk knows.",
            "Transfer them to whichever group answers first.",
        ),
        1,
    ),
    # ---- CS-SUPPORT: user support -----------------------------------------------------
    Question(
        "CS-SUPPORT",
        2,
        "A customer's internet is down and you need to escalate. What belongs in the ticket first?",
        (
            "The customer's name; the next line will call them for the rest.",
            "What the customer reported, the line test result, what you tried and what happened.",
            "Your opinion of the customer.",
            "Nothing: the NOC sees everything anyway.",
        ),
        1,
    ),
    Question(
        "CS-SUPPORT",
        2,
        "Where do you look first for the fix to a fault you have not seen before?",
        (
            "In the desk's knowledge base.",
            "In an internet forum.",
            "You ask the customer what they think it is.",
            "Nowhere: escalate at once.",
        ),
        0,
    ),
    Question(
        "CS-SUPPORT",
        2,
        "A customer cannot log in to the customer portal. What is the first-line fix?",
        (
            "Send a field engineer.",
            "Escalate to the NOC.",
            "Check who they are and send a password reset, following the procedure.",
            "Tell them the portal is out of service.",
        ),
        2,
    ),
    Question(
        "CS-SUPPORT",
        2,
        "The line test is fine, and the internet works on a cable but not over Wi-Fi. "
        "Where is the fault most likely?",
        (
            "In the core network.",
            "At the street cabinet.",
            "In billing.",
            "In the customer's home network or the router's Wi-Fi settings.",
        ),
        3,
    ),
    Question(
        "CS-SUPPORT",
        2,
        "When do you hand a fault on to the second line?",
        (
            "As soon as the customer calls.",
            "When the procedures you have do not solve it and your checks point beyond "
            "the customer's own equipment.",
            "Never: first line solves everything.",
            "When your shift ends.",
        ),
        1,
    ),
    Question(
        "CS-SUPPORT",
        3,
        "A business customer with a fixed IP address says their web server cannot be "
        "reached from outside. What do you check first?",
        (
            "That the fixed address is still assigned to their service and shows on the line.",
            "Their e-mail settings.",
            "Whether their last bill was paid on time.",
            "Nothing: business services are not for first line.",
        ),
        0,
    ),
    Question(
        "CS-SUPPORT",
        3,
        "You solved an unusual fault that is not in the knowledge base. What should follow?",
        (
            "Nothing: it was a one-off.",
            "Tell your closest colleague about it.",
            "Write a knowledge article from the ticket, so that colleagues can solve it too.",
            "Delete your notes from the ticket.",
        ),
        2,
    ),
    Question(
        "CS-SUPPORT",
        3,
        "What does a good knowledge article about a fault contain?",
        (
            "Only the fix.",
            "The symptoms as customers describe them, the checks, the fix, and when to "
            "escalate instead.",
            "The names of the customers who had it.",
            "The date it was written.",
        ),
        1,
    ),
    Question(
        "CS-SUPPORT",
        3,
        "A customer wants to take their old phone number with them to us. Who does what?",
        (
            "A field engineer moves the number on site.",
            "Nobody: numbers cannot be moved between operators.",
            "The customer arranges it alone with the old operator.",
            "First line checks the porting details and places the request, following "
            "the procedure.",
        ),
        3,
    ),
    Question(
        "CS-SUPPORT",
        3,
        "Since their router was swapped, a voice customer hears an echo on every call. "
        "Which first-line step fits?",
        (
            "Compare the router's voice settings with the product sheet and send the "
            "voice profile again, following the procedure.",
            "Send a technician at once.",
            "Tell them an echo is normal on internet telephony.",
            "Cancel the voice service.",
        ),
        0,
    ),
    # ---- NET-DIAG: remote line diagnosis -------------------------------------------
    Question(
        "NET-DIAG",
        2,
        "A DSL line syncs far below the rate of the customer's product, with a very "
        "low noise margin. What does that point to?",
        (
            "A billing error.",
            "A problem on the copper line or in the wiring in the home.",
            "A full mailbox.",
            "A wrong Wi-Fi password.",
        ),
        1,
    ),
    Question(
        "NET-DIAG",
        2,
        "A fibre customer's ONT shows a red LOS light. What does it mean?",
        (
            "The Wi-Fi is switched off.",
            "The customer's bill is unpaid.",
            "No optical signal reaches the ONT: the fibre or the network side is at fault.",
            "The router needs a software update.",
        ),
        2,
    ),
    Question(
        "NET-DIAG",
        2,
        "The modem is in sync with normal line values, yet the customer has no "
        "internet. Where do you look next?",
        (
            "At the customer's equipment and settings, such as the router's login or "
            "the cable to the computer.",
            "At the core network.",
            "At the field engineers' schedule.",
            "Nowhere: the line is fine, so there is no fault.",
        ),
        0,
    ),
    Question(
        "NET-DIAG",
        2,
        "Which value tells you whether the light on a fibre line is strong enough?",
        (
            "The ping time to a website.",
            "The number of devices on the Wi-Fi.",
            "The start date of the contract.",
            "The received optical level, in dBm.",
        ),
        3,
    ),
    Question(
        "NET-DIAG",
        2,
        "Twenty customers on the same access element report no service within minutes. "
        "What kind of fault is it most likely?",
        (
            "Twenty separate router faults.",
            "A network fault on the access element or above it.",
            "A billing run that blocked them.",
            "Wi-Fi interference in their homes.",
        ),
        1,
    ),
    Question(
        "NET-DIAG",
        3,
        "A customer has no service. The access element above them has a live alarm, and "
        "so do its neighbours under the same aggregation switch. What do you do?",
        (
            "Book a technician to the customer's home.",
            "Ask the customer to replace their router.",
            "Link the ticket to the network incident and give the customer the known "
            "time of repair.",
            "Close the ticket as a fault on the customer's side.",
        ),
        2,
    ),
    Question(
        "NET-DIAG",
        3,
        "When is a field visit to the customer's home the right next step?",
        (
            "When the line tests point to the stretch between the access element and the "
            "customer, and the remote fixes did not help.",
            "Whenever the customer asks for one.",
            "For every fault, to be safe.",
            "When the NOC reports an outage in the area.",
        ),
        0,
    ),
    Question(
        "NET-DIAG",
        3,
        "A cable customer's connection drops every evening at about 8 pm, and the "
        "upstream errors rise at the same time. What is a likely cause?",
        (
            "An unpaid invoice.",
            "A wrong e-mail password.",
            "The customer's television.",
            "Noise or congestion on the shared cable segment.",
        ),
        3,
    ),
    Question(
        "NET-DIAG",
        3,
        "The alarm list shows 'LinkDown' on an aggregation switch and 'PonLos' on three "
        "OLTs below it. Where is the root of the fault?",
        (
            "At each OLT separately.",
            "At the aggregation switch's link.",
            "In the customers' routers.",
            "Nowhere: alarms like these are noise.",
        ),
        1,
    ),
    Question(
        "NET-DIAG",
        3,
        "A visit you ordered found nothing wrong in the customer's home; the fault was "
        "in the street cabinet. What do you take from it?",
        (
            "Never order home visits again.",
            "The technician must have missed it.",
            "Check the line data and the neighbours on the same cabinet before ordering "
            "a home visit.",
            "Nothing: it happens.",
        ),
        2,
    ),
]
