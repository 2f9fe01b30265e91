"""sync-svc: owns bucket synchronization, import tasks and source deletion (the only service deleting objects)."""
