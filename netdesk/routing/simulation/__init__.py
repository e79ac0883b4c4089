"""A working day at the desk, simulated event by event, to compare routing
policies (least-sufficient, most-proficient, round-robin) on first-contact
resolution, SLA compliance and waiting time.

Tickets arrive over the working day on an hour-of-day profile with a mix of
types, categories, priorities, channels and segments, taken from the desk's
own history when it has one (`profile_from_history`) or from a built-in
profile. Agents have known levels in the skills the rules ask for. Routing
is the real engine (netdesk/routing/engine.py): every time an agent
frees up, a ticket arrives or a waiting ticket passes a relaxation
threshold, the waiting tickets are offered, most urgent first.

The model, deliberately simple and stated in the docs:
- an agent works one ticket at a time (workload cap 1) and everyone stays
  until the queue is empty;
- handling time is log-normal around a mean per ticket type, longer for
  each level an agent lacks and a little shorter for each level above;
- the chance of resolving on the first contact rises with the agent's
  margin over the requirement and falls with each level missing;
- an unresolved ticket is escalated: it needs the same skills one level
  above the handler's (hard) and goes to someone else; after the third
  contact, or when nobody on the desk has that level, it leaves for the
  second line and is resolved there four hours later;
- SLA targets are the desk's defaults per priority, in calendar minutes;
  relaxation reads the share of the first-response target used while a
  ticket waits for its first contact, of the resolution target after.

Given the same seed, the same arrivals, agents and random draws are used
for every policy (common random numbers), so the differences come from the
policies alone, and every run repeats exactly.

`model` is the desk and its day, `run` plays one day under one policy and
`report` writes the comparison; `netdesk simulate routing`
(netdesk/routing/management/commands/simulate.py) reads the desk's own
data for it."""
