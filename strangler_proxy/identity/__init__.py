"""Identity at the edge (issue 10): the phantom-token exchange, a client's credential for a
short-lived JWT from the monolith (cached), for the requests a service answers."""
