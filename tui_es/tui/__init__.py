"""The Textual dashboard. Uses es, store and domains; nothing here is imported by them."""
