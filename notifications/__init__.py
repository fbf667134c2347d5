"""Notifications: deliver one e-mail (smtplib) or SMS (apprise), plus their texts and SMS hours.

Modules: ``channels`` (Message, DeliveryResult, apprise_url_for, send),
``messages`` (escalation_message, sms_text, message_id), ``quiet_hours`` (sms_allowed_at).
Standalone: imports nothing else of gendan. Nothing is imported here, so
using ``messages`` or ``quiet_hours`` does not load apprise.
"""
