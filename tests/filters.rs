use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rig::{Server, User, ids};

async fn follow(server: &Server, follower: &User, followee: &User) {
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", followee.id),
            Some(&follower.token),
            json!({}),
        )
        .await;
}

async fn put(server: &Server, path: &str, token: &str, body: Value) -> crate::rig::Reply {
    server
        .send(server.client.put(server.url(path)).json(&body), Some(token))
        .await
}

async fn delete(server: &Server, path: &str, token: &str) -> crate::rig::Reply {
    server
        .send(server.client.delete(server.url(path)), Some(token))
        .await
}

fn find<'a>(timeline: &'a Value, id: &str) -> Option<&'a Value> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|status| status["id"] == id)
}

#[tokio::test]
async fn filters_crud_keywords_statuses_v1_validation_and_scopes() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let created = server
        .post_form(
            "/api/v2/filters",
            Some(&alice.token),
            &[
                ("title", "Spoilers"),
                ("context[]", "home"),
                ("context[]", "public"),
                ("filter_action", "warn"),
                ("keywords_attributes[0][keyword]", "finale"),
                ("keywords_attributes[0][whole_word]", "false"),
                ("keywords_attributes[1][keyword]", "ending"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    assert_eq!(created.json["title"], "Spoilers");
    assert_eq!(created.json["context"], json!(["home", "public"]));
    assert_eq!(created.json["filter_action"], "warn");
    assert_eq!(created.json["expires_at"], Value::Null);
    assert_eq!(created.json["keywords"][0]["keyword"], "finale");
    assert_eq!(created.json["keywords"][0]["whole_word"], false);
    assert_eq!(created.json["keywords"][1]["whole_word"], true);
    let id = created.json["id"].as_str().unwrap().to_string();
    let ending = created.json["keywords"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for bad in [
        json!({"title": "", "context": ["home"]}),
        json!({"title": "x", "context": ["nowhere"]}),
        json!({"title": "x"}),
        json!({"title": "x", "context": ["home"], "filter_action": "explode"}),
        json!({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": "k".repeat(300)}]}),
        json!({"title": "x", "context": ["home"], "expires_in": "soon"}),
    ] {
        let reply = server
            .post("/api/v2/filters", Some(&alice.token), bad.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // Update: destroy one keyword, rename the other, change the action.
    let updated = put(
        &server,
        &format!("/api/v2/filters/{id}"),
        &alice.token,
        json!({"filter_action": "hide", "keywords_attributes": [
            {"id": ending, "_destroy": true},
            {"id": created.json["keywords"][0]["id"], "keyword": "season finale"}
        ]}),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["filter_action"], "hide");
    assert_eq!(updated.json["keywords"].as_array().unwrap().len(), 1);
    assert_eq!(updated.json["keywords"][0]["keyword"], "season finale");

    // Keywords as their own resource.
    let keyword = server
        .post(
            &format!("/api/v2/filters/{id}/keywords"),
            Some(&alice.token),
            json!({"keyword": "twist", "whole_word": false}),
        )
        .await;
    assert_eq!(keyword.status, StatusCode::OK, "{}", keyword.json);
    let keyword_id = keyword.json["id"].as_str().unwrap().to_string();
    let keyword = put(
        &server,
        &format!("/api/v2/filter_keywords/{keyword_id}"),
        &alice.token,
        json!({"keyword": "plot twist"}),
    )
    .await;
    assert_eq!(keyword.json["keyword"], "plot twist");
    let keywords = server
        .get(
            &format!("/api/v2/filters/{id}/keywords"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(keywords.json.as_array().unwrap().len(), 2);
    assert_eq!(
        delete(
            &server,
            &format!("/api/v2/filter_keywords/{keyword_id}"),
            &alice.token
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .get(
                &format!("/api/v2/filter_keywords/{keyword_id}"),
                Some(&alice.token)
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Statuses as their own resource.
    let status = server.post_status(&alice, "a status").await;
    let entry = server
        .post(
            &format!("/api/v2/filters/{id}/statuses"),
            Some(&alice.token),
            json!({"status_id": status}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::OK, "{}", entry.json);
    assert_eq!(entry.json["status_id"], status.as_str());
    let entry_id = entry.json["id"].as_str().unwrap().to_string();
    let got = server
        .get(
            &format!("/api/v2/filter_statuses/{entry_id}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(got.json["status_id"], status.as_str());
    let listed = server
        .get(
            &format!("/api/v2/filters/{id}/statuses"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(listed.json.as_array().unwrap().len(), 1);
    delete(
        &server,
        &format!("/api/v2/filter_statuses/{entry_id}"),
        &alice.token,
    )
    .await;
    let listed = server
        .get(
            &format!("/api/v2/filters/{id}/statuses"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(listed.json, json!([]));

    // v1: each keyword is a v1 filter with the keyword's id.
    let v1 = server
        .post(
            "/api/v1/filters",
            Some(&alice.token),
            json!({"phrase": "Cats", "context": ["home"], "irreversible": true, "whole_word": false}),
        )
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.json);
    assert_eq!(v1.json["phrase"], "Cats");
    assert_eq!(v1.json["irreversible"], true);
    assert_eq!(v1.json["whole_word"], false);
    let v1_id = v1.json["id"].as_str().unwrap().to_string();
    let all = server.get("/api/v1/filters", Some(&alice.token)).await;
    assert_eq!(all.json.as_array().unwrap().len(), 2);
    let changed = put(
        &server,
        &format!("/api/v1/filters/{v1_id}"),
        &alice.token,
        json!({"phrase": "Dogs", "context": ["home", "thread"], "irreversible": false}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.json);
    assert_eq!(changed.json["phrase"], "Dogs");
    assert_eq!(changed.json["irreversible"], false);
    assert_eq!(changed.json["context"], json!(["home", "thread"]));
    let v2 = server.get("/api/v2/filters", Some(&alice.token)).await;
    assert_eq!(v2.json.as_array().unwrap().len(), 2);
    assert_eq!(v2.json[1]["title"], "Cats");
    assert_eq!(v2.json[1]["filter_action"], "warn");
    delete(&server, &format!("/api/v1/filters/{v1_id}"), &alice.token).await;
    let v2 = server.get("/api/v2/filters", Some(&alice.token)).await;
    assert_eq!(v2.json.as_array().unwrap().len(), 1);

    // Another account's filter is not found; scopes.
    let bob = server.user("bob").await;
    assert_eq!(
        server
            .get(&format!("/api/v2/filters/{id}"), Some(&bob.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let reader = server.user_with_scopes("reader", "read:filters").await;
    let writer = server.user_with_scopes("writer", "write:filters").await;
    let lists_only = server
        .user_with_scopes("other", "read:lists write:lists")
        .await;
    let body = json!({"title": "x", "context": ["home"]});
    assert_eq!(
        server
            .post("/api/v2/filters", Some(&reader.token), body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .post(
                "/api/v1/filters",
                Some(&lists_only.token),
                json!({"phrase": "x", "context": ["home"]})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .get("/api/v2/filters", Some(&writer.token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .get("/api/v2/filters", Some(&reader.token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .post("/api/v2/filters", Some(&writer.token), body)
            .await
            .status,
        StatusCode::OK
    );

    assert_eq!(
        delete(&server, &format!("/api/v2/filters/{id}"), &alice.token)
            .await
            .status,
        StatusCode::OK
    );
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn filters_warn_hide_match_whole_words_and_expire() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    follow(&server, &alice, &bob).await;
    let warn = server
        .post(
            "/api/v2/filters",
            Some(&alice.token),
            json!({"title": "Cats", "context": ["home", "thread", "account"], "filter_action": "warn",
                   "keywords_attributes": [{"keyword": "CAT", "whole_word": true}]}),
        )
        .await;
    assert_eq!(warn.status, StatusCode::OK, "{}", warn.json);
    let warn_id = warn.json["id"].as_str().unwrap().to_string();
    server
        .post(
            "/api/v2/filters",
            Some(&alice.token),
            json!({"title": "Crypto", "context": ["home", "public"], "filter_action": "hide",
                   "keywords_attributes": [{"keyword": "coin", "whole_word": false}]}),
        )
        .await;

    let cat = server.post_status(&bob, "My cat is asleep").await;
    let catalog = server.post_status(&bob, "A new catalog").await;
    let bitcoin = server.post_status(&bob, "Buy BITCOIN now").await;
    let plain = server.post_status(&bob, "Nothing to see").await;
    let own = server.post_status(&alice, "my own coin").await;
    let cw = server
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "hidden text", "spoiler_text": "about a cat"}),
        )
        .await;
    let cw = cw.json["id"].as_str().unwrap().to_string();

    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    let home_ids = ids(&home.json);
    let matched = find(&home.json, &cat).unwrap();
    assert_eq!(matched["filtered"][0]["filter"]["id"], warn_id.as_str());
    assert_eq!(matched["filtered"][0]["filter"]["filter_action"], "warn");
    assert_eq!(matched["filtered"][0]["keyword_matches"], json!(["CAT"]));
    assert_eq!(matched["filtered"][0]["status_matches"], json!([]));
    assert_eq!(
        find(&home.json, &cw).unwrap()["filtered"][0]["keyword_matches"],
        json!(["CAT"])
    );
    assert_eq!(find(&home.json, &catalog).unwrap()["filtered"], json!([]));
    assert_eq!(find(&home.json, &plain).unwrap()["filtered"], json!([]));
    assert!(!home_ids.contains(&bitcoin), "hide drops the status");
    assert!(
        home_ids.contains(&own),
        "the viewer's own statuses are not filtered"
    );

    // Contexts: public hides bitcoin but does not warn about the cat; account warns.
    let public = server
        .get("/api/v1/timelines/public", Some(&alice.token))
        .await;
    assert!(!ids(&public.json).contains(&bitcoin));
    assert_eq!(find(&public.json, &cat).unwrap()["filtered"], json!([]));
    let account = server
        .get(
            &format!("/api/v1/accounts/{}/statuses", bob.id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(
        find(&account.json, &cat).unwrap()["filtered"][0]["keyword_matches"],
        json!(["CAT"])
    );
    assert!(
        ids(&account.json).contains(&bitcoin),
        "no hide in account context"
    );
    // Without a viewer nothing is filtered.
    let anonymous = server.get("/api/v1/timelines/public", None).await;
    assert!(ids(&anonymous.json).contains(&bitcoin));

    // Thread context, and a filtered status entry.
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "another cat", "in_reply_to_id": plain}),
        )
        .await;
    let reply = reply.json["id"].as_str().unwrap().to_string();
    let context = server
        .get(
            &format!("/api/v1/statuses/{plain}/context"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(context.json["descendants"][0]["id"], reply.as_str());
    assert_eq!(
        context.json["descendants"][0]["filtered"][0]["keyword_matches"],
        json!(["CAT"])
    );
    server
        .post(
            &format!("/api/v2/filters/{warn_id}/statuses"),
            Some(&alice.token),
            json!({"status_id": plain}),
        )
        .await;
    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    assert_eq!(
        find(&home.json, &plain).unwrap()["filtered"][0]["status_matches"],
        json!([plain])
    );

    // Expiry: a filter that expires in one second stops applying.
    let expiring = server
        .post(
            "/api/v2/filters",
            Some(&alice.token),
            json!({"title": "Soon", "context": ["home"], "filter_action": "hide", "expires_in": 1,
                   "keywords_attributes": [{"keyword": "asleep"}]}),
        )
        .await;
    assert!(expiring.json["expires_at"].is_string());
    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    assert!(!ids(&home.json).contains(&cat));
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    assert!(
        ids(&home.json).contains(&cat),
        "an expired filter is inactive"
    );

    // Notifications: a `hide` filter of that context drops the mention.
    server
        .post(
            "/api/v2/filters",
            Some(&alice.token),
            json!({"title": "Mentions", "context": ["notifications"], "filter_action": "hide",
                   "keywords_attributes": [{"keyword": "spam"}]}),
        )
        .await;
    server
        .post_status(&bob, &format!("@{} spam here", alice.username))
        .await;
    let kept = server
        .post_status(&bob, &format!("@{} hello", alice.username))
        .await;
    let notifications = server
        .get("/api/v1/notifications?types[]=mention", Some(&alice.token))
        .await;
    let mentions: Vec<&Value> = notifications
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|notification| &notification["status"]["id"])
        .collect();
    assert_eq!(mentions, vec![&json!(kept)]);

    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}
