"""Renderers: turn domain results into text or rich renderables. They never print."""
