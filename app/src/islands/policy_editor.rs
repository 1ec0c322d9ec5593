use crate::api::{PreviewPolicy, SavePolicy};
use crate::components::{describe_seconds, PolicyDiff};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use portcullis_domain::policy::{diff_lines, has_changes, Mode, PolicyDraft};

/// The policy editor. In the browser every keystroke re-checks the draft with the domain crate
/// (the same code the server runs on save) and updates the warnings, the exact served text and
/// the diff against what is served now. Without JavaScript the same parts render on the server
/// for the draft in the URL, and "Preview" refreshes them.
#[island]
pub fn PolicyEditor(
    csrf: String,
    domain: String,
    /// The served text now, if any.
    current: Option<String>,
    draft: PolicyDraft,
    /// The server's answer to the last save: (field, message).
    error: Option<(String, String)>,
    /// The draft comes from a submitted form (a preview or a refused save): its problems show at
    /// once. A fresh form shows them only once a field is touched.
    submitted: bool,
    /// A new id reaches DNS by itself (delegation in place, or push).
    id_automatic: bool,
) -> impl IntoView {
    let (mode, set_mode) = signal(draft.mode.clone());
    let (max_age, set_max_age) = signal(draft.max_age.clone());
    let (mx, set_mx) = signal(draft.mx.clone());
    let (touched, set_touched) = signal(false);
    let check = Memo::new(move |_| {
        PolicyDraft {
            mode: mode.get(),
            max_age: max_age.get(),
            mx: mx.get(),
        }
        .check()
    });
    let server_error = StoredValue::new(error);
    let field_error = move |field: &'static str| {
        move || {
            let local = check.with(|c| c.message_for(field));
            if touched.get() {
                local
            } else {
                server_error
                    .get_value()
                    .filter(|(f, _)| f == field)
                    .map(|(_, m)| m)
                    .or(local.filter(|_| submitted))
            }
        }
    };
    let current = StoredValue::new(current);
    let preview = move || check.with(|c| c.policy.as_ref().map(|p| p.render()));
    let age_hint = move || max_age.get().trim().parse::<u64>().ok().map(describe_seconds);
    let mode_ref = NodeRef::<leptos::html::Select>::new();
    let age_ref = NodeRef::<leptos::html::Input>::new();
    let mx_ref = NodeRef::<leptos::html::Textarea>::new();
    // Read the fields themselves: text typed before hydration never reached the signals.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if let Some(el) = mode_ref.get_untracked() {
            set_mode.set(el.value());
        }
        if let Some(el) = age_ref.get_untracked() {
            set_max_age.set(el.value());
        }
        if let Some(el) = mx_ref.get_untracked() {
            set_mx.set(el.value());
        }
        set_touched.set(true);
        if check.with_untracked(|c| c.policy.is_none()) {
            ev.prevent_default();
        }
    };
    let mode_now = draft.mode.clone();
    view! {
        <form method="post" action=SavePolicy::PATH class="policy-editor" on:submit=on_submit>
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="name" value=domain.clone() />
            <div class="field">
                <label for="policy-mode">"Mode"</label>
                <select
                    node_ref=mode_ref
                    id="policy-mode"
                    name="mode"
                    aria-describedby="policy-mode-error"
                    on:change=move |ev| {
                        set_mode.set(event_target_value(&ev));
                        set_touched.set(true);
                    }
                >
                    {Mode::ALL
                        .into_iter()
                        .map(|m| {
                            let selected = m.as_str() == mode_now;
                            view! {
                                <option value=m.as_str() selected=selected>
                                    {format!("{} — {}", m, m.describe())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p id="policy-mode-error" class="field-error" role="alert">
                    {field_error("mode")}
                </p>
            </div>
            <div class="field">
                <label for="policy-max-age">"max_age (seconds senders cache the policy)"</label>
                <input
                    node_ref=age_ref
                    id="policy-max-age"
                    name="max_age"
                    inputmode="numeric"
                    autocomplete="off"
                    required
                    value=draft.max_age.clone()
                    aria-describedby="policy-max-age-hint policy-max-age-error"
                    on:input=move |ev| {
                        set_max_age.set(event_target_value(&ev));
                        set_touched.set(true);
                    }
                />
                <p id="policy-max-age-hint" class="hint">
                    {age_hint}
                    " · 86400 is a day, 604800 a week, 31557600 the maximum"
                </p>
                <p id="policy-max-age-error" class="field-error" role="alert">
                    {field_error("max_age")}
                </p>
            </div>
            <div class="field">
                <label for="policy-mx">"MX patterns, one per line"</label>
                <textarea
                    node_ref=mx_ref
                    id="policy-mx"
                    name="mx"
                    rows="5"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="mx1.example.com\n*.mail.protection.outlook.com"
                    aria-describedby="policy-mx-hint policy-mx-error"
                    on:input=move |ev| {
                        set_mx.set(event_target_value(&ev));
                        set_touched.set(true);
                    }
                >
                    {draft.mx.clone()}
                </textarea>
                <p id="policy-mx-hint" class="hint">
                    "Host names only, no IP addresses. A leading *. matches exactly one label: *.mx.example.com covers a.mx.example.com, not mx.example.com."
                </p>
                <p id="policy-mx-error" class="field-error" role="alert" data-testid="mx-error">
                    {field_error("mx")}
                </p>
            </div>
            <ul class="warnings" data-testid="policy-warnings">
                {move || {
                    check
                        .with(|c| c.warnings())
                        .into_iter()
                        .map(|w| view! { <li class="warning">{w.message()}</li> })
                        .collect_view()
                }}
            </ul>
            <h3>"Served text"</h3>
            {move || match preview() {
                Some(text) => {
                    view! {
                        <pre class="policy-text" data-testid="policy-preview">
                            {text}
                        </pre>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p class="muted" data-testid="policy-preview">
                            "Fix the fields above to see the policy."
                        </p>
                    }
                        .into_any()
                }
            }}
            <h3>"Changes against what is served now"</h3>
            {move || {
                let cur = current.get_value();
                match (preview(), cur) {
                    (Some(new), Some(old)) if !has_changes(&diff_lines(&old, &new)) => {
                        view! {
                            <p class="muted" data-testid="policy-diff">
                                "No change: saving keeps the current policy and its id."
                            </p>
                        }
                            .into_any()
                    }
                    (Some(new), old) => {
                        view! {
                            <PolicyDiff lines=diff_lines(old.as_deref().unwrap_or(""), &new) />
                            <p class="hint">
                                {if id_automatic {
                                    "Saving gives the policy a new id; its _mta-sts record follows by itself."
                                } else {
                                    "Saving gives the policy a new id. Then update the _mta-sts TXT record so senders fetch it."
                                }}
                            </p>
                        }
                            .into_any()
                    }
                    (None, _) => {
                        view! {
                            <p class="muted" data-testid="policy-diff">
                                "—"
                            </p>
                        }
                            .into_any()
                    }
                }
            }}
            <div class="actions">
                <a class="button" href=format!("/domains/{domain}")>
                    "Cancel"
                </a>
                <button type="submit" formaction=PreviewPolicy::PATH>
                    "Preview"
                </button>
                <button type="submit" class="primary">
                    "Save policy"
                </button>
            </div>
        </form>
    }
}
