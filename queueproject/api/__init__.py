"""The API's shared plumbing, which every app's API builds on: the envelope and its exception
handler, the schema helpers and the operations' guide, parsers, throttles, the Idempotency-Key
header, time fields and the answer to an unknown endpoint. It imports no app."""
