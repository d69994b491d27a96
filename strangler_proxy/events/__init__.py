"""Events (issue 10): the relay from transactional outboxes to a broker (or straight to the
subscribers), delivery to each subscriber's inbox endpoint, dead letters and status."""
