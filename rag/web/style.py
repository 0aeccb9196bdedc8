"""The look of the chat and the widget: CSS and the small script for copy buttons.

Colours come from Gradio's theme variables where one fits, so dark mode follows the theme.
"""

CARD_CSS = """
.rag-chat { display: flex; flex-direction: column; gap: 18px; padding: 4px 2px 8px; }
.rag-turn { display: flex; flex-direction: column; gap: 10px; }
.rag-question { display: flex; justify-content: flex-end; }
.rag-bubble { max-width: 80%; background: var(--color-accent); color: white; padding: 9px 14px;
  border-radius: 16px 16px 4px 16px; font-size: 15px; line-height: 1.45; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.rag-card { background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  border-radius: 4px 16px 16px 16px; padding: 14px 18px 12px; box-shadow: 0 1px 2px rgba(15, 23, 42, .06);
  max-width: 96%; overflow-wrap: anywhere; }
.rag-card.rag-error { border-color: #f59e0b; background: #fffbeb; color: #78350f; }
.dark .rag-card.rag-error { background: #3b2a06; color: #fde68a; }
.rag-answer-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.rag-answer { font-size: 22px; font-weight: 700; letter-spacing: -.01em; color: var(--body-text-color); }
.rag-abstain { color: var(--body-text-color-subdued); font-weight: 600; }
.rag-conf { font-size: 12px; font-weight: 600; padding: 2px 9px; border-radius: 999px; white-space: nowrap; }
.rag-conf-high { background: #dcfce7; color: #166534; }
.rag-conf-medium { background: #fef3c7; color: #92400e; }
.rag-conf-low { background: #fee2e2; color: #991b1b; }
.rag-sentence { margin: 8px 0 4px; font-size: 15px; line-height: 1.6; color: var(--body-text-color); }
.rag-card mark { background: #fde68a; color: #111827; padding: 0 2px; border-radius: 3px; }
.rag-reported, .rag-note, .rag-read-as { margin: 2px 0 6px; font-size: 13px; color: var(--body-text-color-subdued); }
.rag-ref { border: 0; background: none; padding: 0 1px; margin: 0; cursor: pointer; font-size: 12px;
  font-weight: 700; color: var(--color-accent); vertical-align: super; line-height: 1; }
.rag-ref:hover { text-decoration: underline; }
.rag-differ { margin: 10px 0; padding: 10px 14px; border-left: 4px solid #f97316; background: #fff7ed;
  border-radius: 0 10px 10px 0; color: #431407; }
.dark .rag-differ { background: #3a1d0b; color: #fed7aa; }
.rag-differ h4 { margin: 0 0 2px; font-size: 14px; text-transform: uppercase; letter-spacing: .05em; }
.rag-differ p { margin: 0 0 6px; font-size: 13px; }
.rag-differ ul { margin: 0; padding-left: 18px; }
.rag-differ li { margin: 2px 0; font-size: 14px; }
.rag-claim { font-weight: 700; margin-right: 8px; }
.rag-claim-by { font-size: 13px; }
.rag-sources { margin-top: 8px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.rag-sources summary { cursor: pointer; font-size: 13px; font-weight: 600; color: var(--body-text-color-subdued);
  text-transform: uppercase; letter-spacing: .04em; padding: 4px 0; }
.rag-sources ol { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.rag-source { padding: 8px 10px; border-radius: 10px; background: var(--background-fill-secondary);
  transition: box-shadow .3s; }
.rag-source.rag-flash { box-shadow: 0 0 0 2px var(--color-accent); }
.rag-source-head { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
.rag-num { font-size: 11px; font-weight: 700; min-width: 18px; height: 18px; border-radius: 999px;
  display: inline-flex; align-items: center; justify-content: center; background: var(--color-accent); color: white; }
.rag-outlet { font-size: 12px; font-weight: 800; text-transform: uppercase; letter-spacing: .05em; color: var(--color-accent); }
.rag-citing { font-size: 12px; font-style: italic; color: var(--body-text-color-subdued); }
.rag-headline { font-size: 14px; font-weight: 600; color: var(--body-text-color); }
.rag-headline a { color: inherit; }
.rag-card .rag-meta { font-size: 12px; color: var(--body-text-color-subdued); margin: 2px 0 0 26px; }
.rag-card .rag-quote { margin: 4px 0 2px 26px !important; padding: 0 0 0 10px; border-left: 3px solid var(--border-color-primary);
  font-size: 14px; line-height: 1.55; color: var(--body-text-color); white-space: pre-wrap; }
.rag-more { font-size: 12px; color: var(--body-text-color-subdued); margin: 6px 0 0; }
.rag-actions { display: flex; justify-content: flex-end; margin-top: 8px; }
.rag-copy { font-size: 13px; padding: 5px 12px; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); color: var(--body-text-color); }
.rag-copy:hover { border-color: var(--color-accent); color: var(--color-accent); }
.rag-copy.rag-copied { border-color: #16a34a; color: #16a34a; }
.rag-empty { padding: 0; }
.rag-pending { color: var(--body-text-color-subdued); font-size: 14px; display: flex; align-items: center; gap: 10px; }
.rag-dots { display: inline-flex; gap: 4px; }
.rag-dots i { width: 6px; height: 6px; border-radius: 50%; background: var(--color-accent); opacity: .3;
  animation: rag-blink 1.2s infinite; }
.rag-dots i:nth-child(2) { animation-delay: .2s; }
.rag-dots i:nth-child(3) { animation-delay: .4s; }
@keyframes rag-blink { 50% { opacity: 1; } }
"""

CHAT_CSS = CARD_CSS + """
.gradio-container { max-width: 1180px !important; margin: 0 auto !important; }
#rag-header { margin-bottom: 4px; }
.rag-brand { display: flex; align-items: center; justify-content: space-between; gap: 16px; flex-wrap: wrap;
  padding: 14px 18px; border-radius: 14px; background: linear-gradient(120deg, #0f172a, #1e3a8a); color: white; }
.rag-brand h1 { margin: 0; font-size: 22px; font-weight: 600; letter-spacing: -.01em; color: white; }
.rag-brand p { margin: 2px 0 0; font-size: 13px; opacity: .85; color: white; }
.rag-logo { display: inline-flex; width: 34px; height: 34px; border-radius: 9px; background: #f59e0b;
  color: #0f172a; font-weight: 900; align-items: center; justify-content: center; margin-right: 12px; font-size: 18px; }
.rag-title { display: flex; align-items: center; }
.rag-brand .rag-stats { display: flex; gap: 18px; font-size: 12px; }
.rag-brand .rag-stats div { text-align: right; color: #cbd5e1; }
.rag-brand .rag-stats strong { display: block; font-size: 20px; color: white; }
#rag-conversation { min-height: 420px; }
.rag-welcome { border: 1px dashed var(--border-color-primary); border-radius: 14px; padding: 22px 24px;
  color: var(--body-text-color); background: var(--background-fill-secondary); }
.rag-welcome h2 { margin: 0 0 6px; font-size: 18px; }
.rag-welcome p { margin: 4px 0; font-size: 14px; color: var(--body-text-color-subdued); line-height: 1.5; }
.rag-welcome ul { margin: 8px 0 0; padding-left: 18px; font-size: 14px; color: var(--body-text-color-subdued); }
#rag-ask-row { align-items: stretch; }
#rag-ask { min-width: 96px; }
.rag-side-note { font-size: 12px; color: var(--body-text-color-subdued); line-height: 1.5; }
"""

WIDGET_CSS = CARD_CSS + """
.gradio-container { padding: 0 !important; max-width: 100% !important; min-height: 0 !important; }
.gradio-container .main.fillable { padding: 10px 12px !important; }
.rag-sentence { font-size: 14px; line-height: 1.5; }
.rag-card .rag-quote { margin-left: 0 !important; font-size: 13px; }
.rag-card .rag-meta { margin-left: 0; }
.rag-widget-head { display: flex; align-items: center; gap: 8px; font-weight: 700; font-size: 15px;
  color: var(--body-text-color); }
.rag-widget-head span { display: inline-flex; width: 22px; height: 22px; border-radius: 6px; background: #f59e0b;
  color: #0f172a; font-weight: 900; align-items: center; justify-content: center; font-size: 13px; }
.rag-widget-hint { font-size: 13px; color: var(--body-text-color-subdued); padding: 6px 2px; }
.rag-card { max-width: 100%; border-radius: 12px; padding: 10px 12px; }
.rag-answer { font-size: 19px; }
.rag-bubble { font-size: 14px; }
.rag-chat { gap: 8px; }
"""

# Runs once per HTML component; the listener sits on the component's own element, so it keeps
# working when the answer HTML inside is replaced. No backticks: Gradio treats templates as JS.
CLICK_JS = """
element.addEventListener('click', async function (event) {
  const copy = event.target.closest('.rag-copy');
  if (copy) {
    const text = copy.getAttribute('data-copy') || '';
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const area = document.createElement('textarea');
      area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select(); document.execCommand('copy'); area.remove();
    }
    copy.textContent = 'Copied'; copy.classList.add('rag-copied');
    setTimeout(function () { copy.textContent = 'Copy answer with citation'; copy.classList.remove('rag-copied'); }, 1600);
    return;
  }
  const ref = event.target.closest('.rag-ref');
  if (ref) {
    const card = ref.closest('.rag-card');
    const item = card && card.querySelector('.rag-source[data-src="' + ref.getAttribute('data-src') + '"]');
    if (item) {
      const panel = card.querySelector('details.rag-sources'); if (panel) { panel.open = true; }
      item.scrollIntoView({block: 'nearest', behavior: 'smooth'});
      item.classList.add('rag-flash'); setTimeout(function () { item.classList.remove('rag-flash'); }, 1200);
    }
  }
});
"""
