"""Mail gateways and mail logic: plain Python, no Django (see DESIGN.md, "Layers")."""
