"""Form widgets whose options are the shop's own things (message subjects, channel, pack and
category names): data, not words to translate, each set apart from the page's direction."""
from django import forms


class DataSelect(forms.Select):
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"].update(translate="no", dir="auto")
        return option


class DataCheckboxes(forms.CheckboxSelectMultiple):
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"].update(translate="no", dir="auto")
        return option
