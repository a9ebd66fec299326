"""Delivery channels: each turns a notification into something a patient receives."""
