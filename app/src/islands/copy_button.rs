use leptos::prelude::*;

/// "Copy" for a record value. Hidden until hydrated: without JavaScript the value is selectable
/// text and a button that does nothing would only mislead.
#[island]
pub fn CopyButton(value: String, label: String) -> impl IntoView {
    let (ready, set_ready) = signal(false);
    let (copied, set_copied) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&value);
        set_copied.set(true);
    };
    view! {
        <button type="button" class="copy" hidden=move || !ready.get() on:click=copy aria-label=label>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
