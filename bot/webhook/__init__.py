"""Webhook mode: Telegram posts updates over HTTPS (through a reverse proxy) into the inbox."""

from bot.webhook.server import WebhookServer, register_webhook, webhook_app

__all__ = ["WebhookServer", "register_webhook", "webhook_app"]
