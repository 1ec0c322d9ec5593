use leptos::prelude::*;

/// Previous/next links that keep the current filters.
#[component]
pub fn Pagination(page: i64, pages: i64, base: String) -> impl IntoView {
    let link = move |p: i64| format!("{base}{}page={p}", if base.contains('?') { "&" } else { "?" });
    (pages > 1).then(|| {
        view! {
            <nav class="pagination" aria-label="Pages">
                {(page > 1)
                    .then(|| {
                        view! {
                            <a rel="prev" href=link(page - 1)>
                                "← Previous"
                            </a>
                        }
                    })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages)
                    .then(|| {
                        view! {
                            <a rel="next" href=link(page + 1)>
                                "Next →"
                            </a>
                        }
                    })}
            </nav>
        }
    })
}
