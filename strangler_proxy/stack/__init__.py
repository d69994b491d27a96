"""Starting and stopping the stack's real processes (monolith, proxy, services)."""
