"""Hebrew for the Wagtail strings that Masa's pages show.

Wagtail ships Hebrew only as ``he_IL`` catalogues, which Django never loads for the admin language
``he`` (and they translate a fifth of the admin), so an owner working in Hebrew would read "No,
don't delete", "Bulk actions" or the keyboard shortcuts in English. Django merges the catalogues of
every installed app and Masa is listed before Wagtail, so these msgids, byte-exact copies of
Wagtail's (and two of Django's), are marked here for ``makemessages`` and translated in Masa's own
Hebrew catalogue. Nothing here is evaluated for display.
"""
from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

STRINGS = (
    # The admin's frame: the search box, a field's label suffix, the no-JavaScript warning.
    gettext_noop("Search…"),
    gettext_noop(":"),
    gettext_noop(
        "JavaScript is required to use Wagtail, but it is currently disabled.<br /> Here are the "
        '<a href="https://www.enable-javascript.com/" target="_blank" '
        'rel="noreferrer">instructions how to enable JavaScript in your web browser</a>.'
    ),

    # The bulk-actions bar's counts of what is selected.
    gettext_noop("1 page selected"),
    gettext_noop("%(objects)s pages selected"),
    gettext_noop("All %(objects)s pages on this screen selected"),
    gettext_noop("All pages in listing selected"),
    gettext_noop("1 document selected"),
    gettext_noop("%(objects)s documents selected"),
    gettext_noop("All %(objects)s documents on this screen selected"),
    gettext_noop("All documents in listing selected"),
    gettext_noop("1 image selected"),
    gettext_noop("%(objects)s images selected"),
    gettext_noop("All %(objects)s images on this screen selected"),
    gettext_noop("All images in listing selected"),
    gettext_noop("1 user selected"),
    gettext_noop("%(objects)s users selected"),
    gettext_noop("All %(objects)s users on this screen selected"),
    gettext_noop("All users in listing selected"),
    gettext_noop("1 snippet selected"),
    gettext_noop("%(objects)s snippets selected"),
    gettext_noop("All %(objects)s snippets on this screen selected"),
    gettext_noop("All snippets in listing selected"),
    gettext_noop("1 item selected"),
    gettext_noop("%(objects)s items selected"),
    gettext_noop("All %(objects)s items on this screen selected"),
    gettext_noop("All items in listing selected"),

    # The header, the help menu, the keyboard shortcuts dialog and the account menu.
    gettext_noop("Skip to main content"),
    gettext_noop("What's new in Wagtail %(version)s"),
    gettext_noop("Help"),
    gettext_noop("Editor Guide"),
    gettext_noop("Shortcuts"),
    gettext_noop("Sidebar"),
    gettext_noop("Application"),
    gettext_noop("Actions"),
    gettext_noop("Text editing"),
    gettext_noop("Text formatting"),
    gettext_noop("account"),
    gettext_noop("All keyboard shortcuts"),
    gettext_noop("Section"),
    gettext_noop("Keyboard shortcut"),
    gettext_noop("Show keyboard shortcuts"),
    gettext_noop("Toggle sidebar"),
    gettext_noop("Toggle minimap"),
    gettext_noop("Close modal dialogs (like this one)"),
    gettext_noop("Save changes"),
    gettext_noop("Add or show comments"),
    gettext_noop("Cut"),
    gettext_noop("Paste"),
    gettext_noop("Paste without formatting"),
    gettext_noop("Undo"),
    gettext_noop("Redo"),
    gettext_noop("Insert or edit a link"),
    gettext_noop("Bold"),
    gettext_noop("Italic"),
    gettext_noop("Monospace (code)"),
    gettext_noop("Strike-through"),
    gettext_noop("Superscript"),
    gettext_noop("Subscript"),
    gettext_noop("Keyboard shortcuts are currently enabled; manage your %(account_link)s to disable them."),
    gettext_noop("Close dialog"),
    gettext_noop("Keyboard shortcuts"),
    gettext_noop("Search all pages…"),
    gettext_noop("Edit account avatar"),
    gettext_noop("Wagtail %(current_version)s editor guide"),

    # Listings: breadcrumbs, filters, sorting, row selection, pagination, bulk actions.
    gettext_noop("This month"),
    gettext_noop("Toggle breadcrumbs"),
    gettext_noop("Breadcrumb"),
    gettext_noop("Cancelled"),
    gettext_noop("Go to the first error"),
    gettext_noop("Tag"),
    gettext_noop("Cancel"),
    gettext_noop("Show"),
    gettext_noop("There are no %(model_name)s to display."),
    gettext_noop("Filter by"),
    gettext_noop("Show filters"),
    gettext_noop("Sort by '%(label)s' in ascending order."),
    gettext_noop("Sort by '%(label)s' in descending order."),
    gettext_noop("Select row"),
    gettext_noop("Select all"),
    gettext_noop("Select"),
    gettext_noop("More options for '%(title)s'"),
    gettext_noop("0 minutes"),
    gettext_noop("%(time_period)s ago"),
    gettext_noop("Pagination"),
    gettext_noop("Select all snippets in listing"),
    gettext_noop("Bulk actions"),
    gettext_noop("Delete selected snippets"),
    gettext_noop("New: %(model_name)s"),

    # The edit form: autosave, side panels (status, usage, history), footer actions.
    gettext_noop("Saved"),
    gettext_noop("Autosave is paused"),
    gettext_noop("Toggle status"),
    gettext_noop("Minimap"),
    gettext_noop("Side panels"),
    gettext_noop("Toggle side panel"),
    gettext_noop("Side panel width"),
    gettext_noop("To be created by %(user)s"),
    gettext_noop("No publishing schedule set"),
    gettext_noop("Usage"),
    gettext_noop("Add comment"),
    gettext_noop("Toggle section"),
    gettext_noop("Actions (footer)"),
    gettext_noop("More actions"),
    gettext_noop("Autosave is <span>paused</span>"),
    gettext_noop("A network error occurred"),
    gettext_noop(
        "Troubleshoot your connection to the site before proceeding. Open the editor in a separate "
        "tab to view the last saved version."
    ),
    gettext_noop("Continue"),
    gettext_noop("View latest version"),
    gettext_noop("History"),
    gettext_noop("Status: "),
    gettext_noop("View history"),

    # The delete confirmation and the history log.
    gettext_noop("Are you sure you want to delete this %(model_name)s?"),
    gettext_noop("No, don't delete"),
    gettext_noop("Field"),
    gettext_noop("There are no results."),
    gettext_noop("log entries"),

    # Revisions: viewing, comparing, unscheduling, unpublishing.
    gettext_noop(
        "You are viewing a previous version of this %(model_name)s from <b>%(created_at)s</b> by "
        "%(user)s"
    ),
    gettext_noop("Publish this version"),
    gettext_noop("Replace current draft"),
    gettext_noop("Save your changes before leaving"),
    gettext_noop("You have <span>unsaved edits</span>"),
    gettext_noop("Compare"),
    gettext_noop("Earliest"),
    gettext_noop("Latest"),
    gettext_noop("Fields"),
    gettext_noop("Changes"),
    gettext_noop("There are no differences between these two versions"),
    gettext_noop('revision %(revision_id)s of "%(object)s"'),
    gettext_noop("Unschedule"),
    gettext_noop("Are you sure you want to unschedule this revision?"),
    gettext_noop("Yes, unschedule"),
    gettext_noop("No, don't unschedule"),
    gettext_noop("Are you sure you want to unpublish this %(model_name)s?"),
    gettext_noop("No, don't unpublish"),

    # Usage and language columns.
    gettext_noop("Language"),
    gettext_noop("Used by"),
    gettext_noop("items"),

    # What Wagtail says after a rule, message or channel is saved, published or deleted.
    gettext_noop("%(model_name)s '%(object)s' updated."),
    gettext_noop("%(model_name)s '%(object)s' created."),
    gettext_noop("%(model_name)s '%(object)s' updated and published."),
    gettext_noop("%(model_name)s '%(object)s' created and published."),
    gettext_noop("%(model_name)s '%(object)s' deleted."),
    gettext_noop("'%(object)s' unpublished."),

    # "Just now" in a listing's "Updated" column (Wagtail compares its own "0 minutes" with Django's).
    gettext_noop("just now"),
    gettext_noop("0 minutes"),
)

# Django's own Hebrew ends a shortened text with U+202E (right-to-left override) before the "…",
# which reverses the rest of the line; Masa's catalogue, merged after Django's, says it plainly.
IN_CONTEXT = (
    pgettext_lazy("String to return when truncating text", "%(truncated_text)s…"),
)

PLURALS = (
    ngettext_lazy("Used %(usage_count)s time",
                  "Used %(usage_count)s times", "usage_count"),
    ngettext_lazy("This %(model_name)s is referenced %(usage_count)s time.",
                  "This %(model_name)s is referenced %(usage_count)s times.", "usage_count"),
)
