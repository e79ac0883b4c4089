"""Root-cause ranking inside a group of alarms (pure Python, no Django
models): `ranking` scores and orders the alarms and words the evidence,
`learning` learns a network's history (type priors, precedence and its
window) from past groups. The desk stores what it learned in
`noc.RootCauseModel` (`netdesk.noc.services.root_cause`)."""
