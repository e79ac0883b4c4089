"""Complaint-spike detection, free of Django (places and settings, scoring,
baselines, the detector, a module each): fault tickets counted per
network element (the customer's access element and everything upstream of
it) and per area over a sliding window, held against what that hour of the
week usually brings, and a suspected outage named at the smallest element
that explains the complaints.

The rules, in order (docs/spike-detection.md has the reasoning and figures):

1. Baseline. Each element and area has an expected number of complaints per
   15-minute bucket for each of the 168 hours of the week, learned from
   history and shrunk toward the node's own weekly mean times the desk-wide
   shape of the week; a floor keeps quiet nodes from expecting nothing.
2. Score. Over the sliding window (an hour by default) a node's score is
   −log10 P(X ≥ complaints) for X ~ Poisson(expected in the window).
3. Hot. A node is hot while it counts at least `min_complaints` and its
   score reaches the threshold plus the node's feedback offset (each recent
   dismissal of a suspected outage at that node adds `dismissal_step`).
4. Duration gate. A hot node must stay hot for `hold_minutes`, the excess
   must persist (a further complaint under it once the hold has run) and
   its complaints must come from `min_customers` different customers before
   anything is raised: a short burst of calls that stops, or one angry
   customer calling again and again, is not an outage.
5. Attribution. Only complaints that no raised outage below or at a place
   explains yet count. Of the hot nodes the firing node's complaints pass
   through, the one with the largest excess (complaints − expected) is the
   top. The suspected outage names the deepest hot element under which at
   least `explain_share` of the top's excess sits (allowing for the normal
   noise of the complaints outside it); if no element explains it, the top
   itself (an area when complaints spread over unrelated branches). Two
   sibling elements raised within one window widen to the element they
   both hang off.
6. Episodes and waves. While a node's outage is raised, further complaints
   under it join the deepest raised node on their path; the episode ends
   when the node's score falls below `release_threshold`. A raised place
   over a node (every complaint of the node passes through it: an upstream
   element, the area) is a *wave* for it: it does not mask the node, it
   raises what the node is expected to bring by the wave's own ratio
   (complaints outside the node ÷ what was expected there). A node hot even
   against that raises its own outage at its own level; one that only
   carries its share of the wave does not.
7. Levels. Each level of the network tree (0 = the roots, one more per hop
   down; areas are a level of their own) may have its own threshold
   (`level_thresholds`, `area_threshold`); every spike says its level.
8. Feedback. Each dismissal by the NOC since the node's last confirmed
   outage raises its threshold by `dismissal_step` (up to `dismissal_cap`).
9. Hints. The first complaint from an access element that never had one
   (not in the baseline, not seen since), outside any raised outage, is a
   hint, at most `hints_per_window` in a window desk-wide. Whether an alarm
   on its path explains it is for the caller to check.

What counts as a complaint (a network fault, by type or by what text triage
reads in its words) is decided before the detector: it is fed nothing else.
"""
