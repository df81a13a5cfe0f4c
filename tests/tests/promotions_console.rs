//! Promotions in the web console, in a real browser against a real HQ: marketing creates a 满减
//! through the form (a broken one first, refused with the field named, nothing published; then its
//! goods read from a CSV file), finds it in the list, and prices a cart with it in the preview.

use hq_server::store::{CatalogStore as _, PromotionStore as _};
use tests::Hq;
use tests::browser::Browser;

#[test]
fn marketing_creates_a_spend_and_save_promotion_and_previews_a_cart() {
    let hq = Hq::start();
    let product = hq
        .store()
        .list_products(0, 1000, None)
        .expect("products")
        .into_iter()
        .find(|p| p.discount_eligible && !p.weighed && p.retail_price.0 > 0)
        .expect("a product sold by the piece that takes discounts");
    // Enough pieces to pass ¥10.00.
    let pieces = 1_000 / product.retail_price.0 + 1;
    let base = hq.url();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "marketing", "tillpoint-marketing").await;
        b.client.goto(&format!("{base}/console/promotions")).await.expect("goto");
        b.click("#new-promotion").await;
        b.fill("#promo-name", "满10减2").await;
        b.fill("#slab-threshold-0", "10.00").await;
        b.fill("#slab-off-0", "2").await;
        // No goods chosen: refused with the field named, the form as typed.
        b.click("#save-promotion").await;
        assert!(b.text("#promotion-error").await.starts_with("scope"), "{}", b.text("#promotion-error").await);
        assert_eq!(b.value("#promo-name").await, "满10减2");
        assert_eq!(hq.store().current_promotion_set().expect("set").version, 0, "nothing published");
        // The goods from a CSV file with a code column.
        let dir = tempfile::tempdir().expect("dir");
        let csv = dir.path().join("goods.csv");
        std::fs::write(&csv, format!("name,code\n{},{}\n", product.name, product.code)).expect("csv");
        b.choose_file("#promo-products-file", &csv, "#promo-products", &product.code).await;
        b.click("#save-promotion").await;
        assert!(!b.text("#published").await.is_empty());
        assert!(b.text("#promotion-summary").await.contains("¥10.00"), "{}", b.text("#promotion-summary").await);

        b.client.goto(&format!("{base}/console/promotions")).await.expect("goto");
        let list = b.text("#promotions").await;
        assert!(list.contains("满10减2"), "{list}");

        b.fill("#preview-cart", &format!("{} {pieces}", product.code)).await;
        b.click("#run-preview").await;
        let promotions = b.text("#preview-promotions").await;
        assert!(promotions.contains("满10减2") && promotions.contains("¥2.00"), "{promotions}");
        assert!(b.text("#total-saving").await.contains("¥2.00"), "{}", b.text("#total-saving").await);
        b.quit().await;
    });
    let set = hq.store().current_promotion_set().expect("set");
    assert_eq!((set.version, set.promotions.len()), (1, 1));
    assert_eq!(set.promotions[0].name, "满10减2");
    assert_eq!(set.promotions[0].scope.products, [product.id], "the goods came from the file");
}

/// The scope picker: part of a product's code finds it through the catalog, part of a category's
/// finds that in the page, and one click each adds the code to its box.
#[test]
fn the_scope_picker_finds_goods_and_categories_and_adds_their_codes() {
    use fantoccini::Locator;
    use hq_server::store::CatalogStore as _;
    let hq = Hq::start();
    let product = hq.store().list_products(0, 1, None).expect("products").remove(0);
    let category = hq.store().list_categories().expect("categories").remove(0);
    let base = hq.url();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "marketing", "tillpoint-marketing").await;
        b.client.goto(&format!("{base}/console/promotions/new")).await.expect("goto");
        let find = |text: String| {
            let b = &b;
            async move {
                b.fill("#promotion-form .picker-q", &text).await;
                b.client
                    .find(Locator::Css("#promotion-form .picker-go"))
                    .await
                    .expect("find button")
                    .click()
                    .await
                    .expect("click");
                let started = std::time::Instant::now();
                loop {
                    let found =
                        b.client.find_all(Locator::Css("#promotion-form .picker-found button")).await.expect("list");
                    for button in found {
                        if button.text().await.expect("text").contains(&text) {
                            button.click().await.expect("pick");
                            return;
                        }
                    }
                    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{text} was not found");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        };
        find(product.code.clone()).await;
        assert_eq!(b.value("#promo-products").await.trim(), product.code);
        find(category.code.clone()).await;
        assert_eq!(b.value("#promotion-form textarea[name=categories]").await.trim(), category.code);
        // Picked twice, a code is in the box once.
        find(product.code.clone()).await;
        assert_eq!(b.value("#promo-products").await.trim(), product.code);
        b.quit().await;
    });
}
