"""quinte's core: settings, pipeline configuration, the stage engine, queueing and the CLI."""
