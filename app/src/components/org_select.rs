use crate::dto::OrgWithRole;
use leptos::prelude::*;

/// The organisation a form acts for (`name="org"`), labelled, with `selected` preselected.
#[component]
pub fn OrgSelect(orgs: Vec<OrgWithRole>, selected: Option<String>) -> impl IntoView {
    view! {
        <label for="org">"Organisation"</label>
        <select id="org" name="org">
            {orgs
                .into_iter()
                .map(|o| {
                    let is_selected = selected.as_deref() == Some(o.slug.as_str());
                    view! {
                        <option value=o.slug selected=is_selected>
                            {o.name}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}
