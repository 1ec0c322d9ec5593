use crate::api::AddDomain;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use portcullis_domain::DomainName;

/// The add-domain form. In the browser it validates as the user types with the same
/// `DomainName` parser the server uses, shows the canonical (A-label) form, and keeps an
/// invalid name from being sent. `error` is the server's answer to the last post.
#[island]
pub fn AddDomainForm(
    csrf: String,
    orgs: Vec<(String, String)>,
    selected: String,
    error: Option<String>,
    /// This server runs a DNS zone: offer delegation (recommended) besides publishing by hand.
    delegation_available: bool,
) -> impl IntoView {
    let (value, set_value) = signal(String::new());
    let (touched, set_touched) = signal(false);
    let server_error = StoredValue::new(error);
    let shown_error = move || {
        if touched.get() {
            DomainName::parse(&value.get()).err().map(|e| e.to_string())
        } else {
            server_error.get_value()
        }
    };
    let canonical = move || {
        let raw = value.get();
        DomainName::parse(&raw)
            .ok()
            .map(|n| n.to_string())
            .filter(|n| n != raw.trim())
    };
    let input = NodeRef::<leptos::html::Input>::new();
    // Read the field itself: text typed before hydration never reached the signal.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if let Some(el) = input.get_untracked() {
            set_value.set(el.value());
        }
        set_touched.set(true);
        if DomainName::parse(&value.get_untracked()).is_err() {
            ev.prevent_default();
        }
    };
    view! {
        <form method="post" action=AddDomain::PATH class="row" on:submit=on_submit>
            <input type="hidden" name="csrf" value=csrf />
            <div>
                <label for="add-org">"Organisation"</label>
                <select id="add-org" name="org">
                    {orgs
                        .into_iter()
                        .map(|(slug, name)| {
                            let is_selected = slug == selected;
                            view! {
                                <option value=slug selected=is_selected>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="grow">
                <label for="add-name">"Domain name"</label>
                <input
                    node_ref=input
                    id="add-name"
                    name="name"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="example.com"
                    required
                    aria-describedby="add-name-error add-name-canonical"
                    aria-invalid=move || if shown_error().is_some() { "true" } else { "false" }
                    on:input=move |ev| {
                        set_value.set(event_target_value(&ev));
                        set_touched.set(true);
                    }
                />
                <p id="add-name-canonical" class="hint">
                    {move || {
                        canonical()
                            .map(|n| {
                                view! {
                                    "Will be added as "
                                    <code>{n}</code>
                                }
                            })
                    }}
                </p>
                <p id="add-name-error" class="field-error" role="alert">
                    {shown_error}
                </p>
            </div>
            {delegation_available
                .then(|| {
                    view! {
                        <fieldset class="grow setup-choice" data-testid="add-setup">
                            <legend>"DNS records"</legend>
                            <div class="choice">
                                <input type="radio" name="setup" id="add-setup-delegated" value="delegated" checked />
                                <label for="add-setup-delegated">
                                    <strong>"Delegate to this server (recommended)"</strong>
                                    <span class="hint">
                                        "Three CNAMEs, published once; every later change is answered for you."
                                    </span>
                                </label>
                            </div>
                            <div class="choice">
                                <input type="radio" name="setup" id="add-setup-manual" value="manual" />
                                <label for="add-setup-manual">
                                    <strong>"Publish the records by hand"</strong>
                                    <span class="hint">"You update _mta-sts after every policy change."</span>
                                </label>
                            </div>
                        </fieldset>
                    }
                })}
            <button type="submit" class="primary">
                "Add domain"
            </button>
        </form>
    }
}
