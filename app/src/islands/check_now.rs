use crate::api::CheckDnsNow;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// "Check now": a plain form post (works without JavaScript); with it, the button says that the
/// check is running, since probing every MX can take a few seconds.
#[island]
pub fn CheckNowButton(csrf: String, name: String) -> impl IntoView {
    let (running, set_running) = signal(false);
    view! {
        <form method="post" action=CheckDnsNow::PATH class="inline" on:submit=move |_| set_running.set(true)>
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="name" value=name />
            <button
                type="submit"
                class="primary"
                disabled=move || running.get()
                aria-busy=move || running.get().to_string()
            >
                {move || if running.get() { "Checking…" } else { "Check now" }}
            </button>
        </form>
    }
}
