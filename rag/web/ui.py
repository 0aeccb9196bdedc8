"""The Gradio pages: the full chat at / and the compact widget at /widget."""
from __future__ import annotations

import logging

import gradio as gr

from ..pipeline import DEFAULT_K
from .render import esc, render_answer, render_conversation, render_error
from .service import AskService, Busy
from .style import CLICK_JS

log = logging.getLogger(__name__)
ALL_OUTLETS = "All outlets"
MAX_TURNS = 30  # older turns drop off; each turn keeps its whole answer in the session state
EXAMPLES = [
    "Who chairs the CSTO?",
    "How many security officers were killed?",
    "How many people were detained?",
    "What is the capital of France?",
]


def _ask(service: AskService, question: str, outlet: str | None, k: float | None) -> dict:
    """One turn: the question with either its answer dict or an error to show."""
    turn: dict = {"question": question}
    try:
        turn["answer"] = service.ask(question, k=int(k or DEFAULT_K),
                                     outlet=None if outlet in (None, "", ALL_OUTLETS) else outlet)
    except Busy as exc:
        turn["error"] = f"Too many questions at once: {exc}."
    except ValueError as exc:  # QuestionError, UnknownOutlet: their messages are meant for users
        turn["error"] = f"Couldn\u2019t ask that: {exc}."
    except Exception:  # a bug must not leave the placeholder spinning forever
        log.exception("answering %r failed", question[:200])
        turn["error"] = "Something went wrong while answering. The error is in the server log."
    return turn


def _header(health: dict) -> str:
    outlets = ", ".join(health.get("outlets") or [])
    return (f'<header class="rag-brand"><div class="rag-title"><span class="rag-logo">Q</span><div>'
            "<h1>Newsdesk Q&amp;A</h1><p>Answers in the articles\u2019 own words, with the outlet that "
            f"reported them. Runs offline.</p></div></div>"
            f'<div class="rag-stats"><div><strong>{esc(health.get("articles", 0))}</strong>articles</div>'
            f'<div><strong>{esc(health.get("chunks", 0))}</strong>passages</div>'
            f'<div title="{esc(outlets)}"><strong>{len(health.get("outlets") or [])}</strong>outlets</div></div></header>')


WELCOME = ('<div class="rag-welcome"><h2>Ask the archive</h2>'
           "<p>Type a question about the stories in the archive. The answer is quoted word for word "
           "from an article and names the outlet that reported it.</p><ul>"
           "<li>When outlets disagree, you see each claim beside its source under <em>Reports differ</em>.</li>"
           "<li>When the articles don\u2019t hold the answer, the assistant says so and shows the nearest passages.</li>"
           "<li>Every answer has a <em>Copy answer with citation</em> button for your draft.</li></ul></div>")


def chat_blocks(service: AskService) -> gr.Blocks:
    """The newsroom chat: history, sources, outlet filter, examples."""
    with gr.Blocks(title="Newsdesk Q&A") as demo:
        turns = gr.State([])
        header = gr.HTML(_header(service.health()), elem_id="rag-header", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                conversation = gr.HTML(render_conversation([], empty=WELCOME), elem_id="rag-conversation",
                                       js_on_load=CLICK_JS, autoscroll=True)
                with gr.Row(elem_id="rag-ask-row"):
                    question = gr.Textbox(placeholder="Ask a question, e.g. Who chairs the CSTO?", show_label=False,
                                          lines=1, max_lines=4, scale=6, elem_id="rag-question", autofocus=True,
                                          container=False)
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="rag-ask")
            with gr.Column(scale=1, min_width=240):
                outlet = gr.Dropdown([ALL_OUTLETS, *service.outlets], value=ALL_OUTLETS, label="Only this outlet",
                                     elem_id="rag-outlet", interactive=True)
                k = gr.Slider(1, 20, value=DEFAULT_K, step=1, label="Passages to read", elem_id="rag-k")
                gr.Examples(EXAMPLES, inputs=question, label="Try asking", examples_per_page=len(EXAMPLES))
                clear = gr.Button("New conversation", variant="secondary", size="sm", elem_id="rag-clear")
                gr.HTML('<p class="rag-side-note">Nothing you type leaves this server. Answers are extracted, '
                        "never generated: check the quote before you publish.</p>", js_on_load=None)

        def post_question(text: str, history: list[dict]):
            # Shows the question at once; the answer replaces the placeholder in `answer_last`.
            if not (text or "").strip():
                return gr.skip(), history, text
            history = [*history, {"question": text}][-MAX_TURNS:]
            return render_conversation(history, empty=WELCOME), history, ""

        def answer_last(outlet_name: str, k_value: float, history: list[dict]):
            if not history or "answer" in history[-1] or "error" in history[-1]:
                return gr.skip(), history
            history = [*history[:-1], _ask(service, history[-1]["question"], outlet_name, k_value)]
            return render_conversation(history, empty=WELCOME), history

        for trigger in (question.submit, ask.click):
            trigger(post_question, [question, turns], [conversation, turns, question], queue=False,
                    api_visibility="private", show_progress="hidden").then(
                answer_last, [outlet, k, turns], [conversation, turns], api_visibility="private",
                show_progress="minimal")
        def refresh_index_view(selected: str):
            # The assistant picks up a newly built index by itself; each page load shows its counts
            # and outlets rather than those of the moment the server started.
            choices = [ALL_OUTLETS, *service.outlets]
            return _header(service.health()), gr.Dropdown(choices=choices,
                                                          value=selected if selected in choices else ALL_OUTLETS)

        demo.load(refresh_index_view, [outlet], [header, outlet], queue=False, api_visibility="private",
                  show_progress="hidden")
        clear.click(lambda: (render_conversation([], empty=WELCOME), []), None, [conversation, turns],
                    api_visibility="private", queue=False)
    return demo


WIDGET_HINT = '<div class="rag-widget-hint">Answers are quoted from the newsroom\u2019s articles, with their outlet.</div>'


def widget_blocks(service: AskService) -> gr.Blocks:
    """The compact embed: one question box and the latest answer, for an iframe."""
    with gr.Blocks(title="Ask the newsroom archive", fill_width=True) as demo:
        gr.HTML('<div class="rag-widget-head"><span>Q</span>Ask the newsroom archive</div>', js_on_load=None)
        with gr.Row(equal_height=True):
            question = gr.Textbox(placeholder="Ask a question", show_label=False, lines=1, scale=5,
                                  elem_id="rag-question", container=False)
            ask = gr.Button("Ask", variant="primary", scale=1, min_width=64, elem_id="rag-ask", size="md")
        result = gr.HTML(WIDGET_HINT, elem_id="rag-result", js_on_load=CLICK_JS)

        def respond(text: str):
            if not (text or "").strip():
                return gr.skip()
            turn = _ask(service, text, None, DEFAULT_K)
            body = render_error(turn["error"]) if "error" in turn else render_answer(turn["answer"], max_sources=3, sources_open=False)
            return (f'<div class="rag-chat"><div class="rag-turn"><div class="rag-question"><div class="rag-bubble">'
                    f"{esc(text)}</div></div>{body}</div></div>")

        for trigger in (question.submit, ask.click):
            trigger(respond, [question], [result], api_visibility="private", show_progress="minimal")
    return demo
