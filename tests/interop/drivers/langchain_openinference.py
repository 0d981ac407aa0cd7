"""LangChain under OpenInference's LangChainInstrumentor: a support pipeline of a
retriever, a fake chat model that first calls a tool, the tool, and a prompt | model |
parser chain, all in one trace, exported with the stock OTLP/protobuf exporter."""

from __future__ import annotations

from typing import Any

from _common import Tracing, parse_args
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import tool
from openinference.instrumentation.langchain import LangChainInstrumentor

MODEL = "fake-support-model"
SYSTEM_PROMPT = "You answer shop support questions using this context:\n{context}"
QUESTION = "Where is my order ORD-1042?"
TOOL_ARGUMENTS = {"order_id": "ORD-1042"}
TOOL_RESULT = "ORD-1042: shipped on Monday, arrives Thursday"
FINAL_ANSWER = "Your order ORD-1042 shipped on Monday and arrives on Thursday."
DOCUMENTS = (
    Document(
        id="kb-shipping",
        page_content="Orders ship within two business days.",
        metadata={"source": "kb/shipping.md", "section": "timing"},
    ),
    Document(
        id="kb-tracking",
        page_content="Tracking numbers are emailed once an order ships.",
        metadata={"source": "kb/tracking.md", "section": "email"},
    ),
)
# The usage each model call reports, as a real chat model's AIMessage carries it.
TOOL_CALL_USAGE = {"input_tokens": 61, "output_tokens": 14, "total_tokens": 75}
ANSWER_USAGE = {"input_tokens": 90, "output_tokens": 16, "total_tokens": 106}


class SupportModel(FakeMessagesListChatModel):
    """LangChain's fake chat model with a model name, as every real chat model has: LangChain
    reports ``model`` to tracers as ``ls_model_name``."""

    model: str = MODEL


class KnowledgeBaseRetriever(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return list(DOCUMENTS)


@tool
def lookup_order(order_id: str) -> str:
    """Find an order's shipping status."""
    return TOOL_RESULT if order_id == TOOL_ARGUMENTS["order_id"] else "unknown order"


def build_pipeline() -> RunnableLambda[str, str]:
    model = SupportModel(
        responses=[
            AIMessage(
                content="",
                tool_calls=[{"name": "lookup_order", "args": TOOL_ARGUMENTS, "id": "call_lc_0001"}],
                usage_metadata=TOOL_CALL_USAGE,
            ),
            AIMessage(content=FINAL_ANSWER, usage_metadata=ANSWER_USAGE),
        ]
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", SYSTEM_PROMPT), ("human", "{question}"), ("placeholder", "{tool_messages}")]
    )
    retriever = KnowledgeBaseRetriever()

    def answer(question: str, config: RunnableConfig) -> str:
        documents = retriever.invoke(question, config)
        inputs: dict[str, Any] = {
            "context": "\n".join(document.page_content for document in documents),
            "question": question,
            "tool_messages": [],
        }
        decision = (prompt | model).invoke(inputs, config)
        assert isinstance(decision, AIMessage) and decision.tool_calls
        call = decision.tool_calls[0]
        result = lookup_order.invoke(call["args"], config)
        inputs["tool_messages"] = [decision, ToolMessage(content=result, tool_call_id=call["id"])]
        return (prompt | model | StrOutputParser()).invoke(inputs, config)

    return RunnableLambda(answer, name="support_pipeline")


def main() -> None:
    args = parse_args(__doc__ or "")
    tracing = Tracing(args.collector, args.exporter, service_name="interop-langchain-openinference")
    LangChainInstrumentor().instrument(tracer_provider=tracing.provider)
    answer = build_pipeline().invoke(QUESTION)
    assert answer == FINAL_ANSWER, answer
    tracing.finish({"pipeline": tracing.recorder.new_trace_id()}, dump=args.dump)


if __name__ == "__main__":
    main()
