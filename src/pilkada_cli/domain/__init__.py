"""Domain: typed models and the rules, with no printing, exiting or prompting. Events and their
times, checklists and cycles, regions, readiness and the views computed from it, recording and
undo, workspace configuration, trust between offices and what a bundle may carry. May import
``base`` and ``domain``; never storage, output, application or the command line."""
