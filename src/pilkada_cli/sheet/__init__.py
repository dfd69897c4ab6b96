"""Fill-in spreadsheets for offices without pilkada: ``pilkada sheet`` writes one XLSX sheet per
region, ``pilkada record --from`` reads the filled sheets (XLSX, or CSV saved from them) back
as records.

- ``layout``: the columns, their labels in both languages, the instruction block.
- ``checksum``: the hidden sheet key that recognises another region's sheet or an edited one.
- ``build``: the writer (openpyxl). ``read``: the readers (openpyxl; csv).
- ``apply``: which filled rows changed, checked like ``pilkada record`` and turned into events.
"""
