use crate::api::DeleteDomain;
use leptos::html::Dialog;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// "Delete…" that asks first. Without JavaScript it is a link to the confirmation page; with it,
/// the same question opens in a modal dialog (Escape or Cancel closes it).
#[island]
pub fn DeleteDomainButton(csrf: String, name: String) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let open = move |ev: leptos::ev::MouseEvent| {
        if let Some(d) = dialog.get() {
            ev.prevent_default();
            let _ = d.show_modal();
        }
    };
    let close = move |_| {
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    view! {
        <a class="button danger" href=format!("/domains/{name}/delete") on:click=open>
            "Delete domain…"
        </a>
        <dialog node_ref=dialog class="confirm" aria-labelledby="confirm-title">
            <form method="post" action=DeleteDomain::PATH>
                <h2 id="confirm-title">{format!("Delete {name}?")}</h2>
                <p>"Portcullis stops managing this domain. Nothing changes in your DNS."</p>
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="name" value=name.clone() />
                <div class="actions">
                    <button type="button" on:click=close>
                        "Cancel"
                    </button>
                    <button type="submit" class="danger">
                        {format!("Delete {name}")}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
