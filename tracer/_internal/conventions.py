"""Attribute names the SDK writes, and what each span kind means in each convention.

OTel GenAI names (``gen_ai.*``) are written for OTel-native tools and our collector;
``openinference.span.kind`` and the OpenInference general attributes are written too, so
OpenInference tools (Phoenix) recognise the spans. ``docs/sdk-attributes.md`` lists all
of this; a test checks that every name here appears there.
"""

from __future__ import annotations

from typing import Literal, get_args

SpanKind = Literal[
    "llm",
    "embedding",
    "retriever",
    "reranker",
    "tool",
    "agent",
    "chain",
    "guardrail",
    "evaluator",
    "span",
]
SPAN_KINDS: tuple[str, ...] = get_args(SpanKind)

# Our own dialect: the kind exactly as the user chose it.
SPANSCOPE_KIND = "spanscope.span.kind"

OPENINFERENCE_KIND = "openinference.span.kind"
OPENINFERENCE_KINDS = {
    "llm": "LLM",
    "embedding": "EMBEDDING",
    "retriever": "RETRIEVER",
    "reranker": "RERANKER",
    "tool": "TOOL",
    "agent": "AGENT",
    "chain": "CHAIN",
    "guardrail": "GUARDRAIL",
    "evaluator": "EVALUATOR",
}

GEN_AI_OPERATION = "gen_ai.operation.name"
# Only kinds that have a standard GenAI operation get one.
GEN_AI_OPERATIONS = {
    "llm": "chat",
    "embedding": "embeddings",
    "retriever": "retrieval",
    "tool": "execute_tool",
    "agent": "invoke_agent",
}

# General content (OpenInference names; our collector reads them too).
INPUT_VALUE = "input.value"
INPUT_MIME_TYPE = "input.mime_type"
OUTPUT_VALUE = "output.value"
OUTPUT_MIME_TYPE = "output.mime_type"
SESSION_ID = "session.id"
USER_ID = "user.id"
TAGS = "tag.tags"
METADATA = "metadata"
CONVERSATION_ID = "gen_ai.conversation.id"

# Models and usage.
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_write.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
OPENINFERENCE_MODEL = "llm.model_name"
OPENINFERENCE_PROVIDER = "llm.provider"
OPENINFERENCE_PROMPT_TOKENS = "llm.token_count.prompt"
OPENINFERENCE_COMPLETION_TOKENS = "llm.token_count.completion"
OPENINFERENCE_TOTAL_TOKENS = "llm.token_count.total"

# Request parameters taken from an llm function's arguments of the same name.
REQUEST_PARAMETERS = {
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "stop": "gen_ai.request.stop_sequences",
    "seed": "gen_ai.request.seed",
}

# Messages, in the GenAI parts format, as JSON strings.
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"

# Retrieval.
RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"
RETRIEVAL_QUERY = "gen_ai.retrieval.query.text"

# Tools and agents.
TOOL_NAME = "gen_ai.tool.name"
TOOL_DESCRIPTION = "gen_ai.tool.description"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
OPENINFERENCE_TOOL_NAME = "tool.name"
AGENT_NAME = "gen_ai.agent.name"

# Errors (OTel general semantic conventions).
ERROR_TYPE = "error.type"

# Streams: whether the consumer read the stream to its end.
STREAM_COMPLETED = "spanscope.stream.completed"
