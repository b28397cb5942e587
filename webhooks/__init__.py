"""Downstream integration: API tokens, webhooks through the events outbox, exports, readiness."""
