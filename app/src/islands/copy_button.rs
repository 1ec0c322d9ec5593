use leptos::prelude::*;

/// "Copy" for a record value. Shown only once the page is hydrated (`.needs-js`, see the
/// stylesheet): without JavaScript the value is selectable text and a button that does nothing
/// would only mislead.
#[island]
pub fn CopyButton(value: String, label: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&value);
        set_copied.set(true);
    };
    view! {
        <button type="button" class="copy needs-js" on:click=copy aria-label=label>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
