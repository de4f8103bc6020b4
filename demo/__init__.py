"""The demo and benchmark data set (`python manage.py seed_demo`), an app of its own.

It writes into the staff, clients, circles and chains apps but none of them imports it: the builder
is `demo.seed` (branches and staff, groups, control trees, circles, chains, flows, the COPY writer),
`demo.history` gives the bulk-written rows their first history record, `demo.scenarios` adds the
few records that go through the services (a pending transfer request), and `demo.reset` wipes it.
"""
